// pkg/process's RunToCompletion on Windows (under Wine in
// hack/test-windows.sh), with berth_process_win_child.exe as the child.
#include <windows.h>

#include <atomic>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "pkg/base/cancel.h"
#include "pkg/fs/temp_dir.h"
#include "pkg/process/run.h"
#include "pkg/process/wait_gone.h"
#include "test/windows/fs_win_test_util.h"
#include "test/windows/process_win_test_util.h"

namespace berth::process {
namespace {

using testing::ChildArgv;
using ::testing::HasSubstr;
using testing::kSigKill;
using Clock = std::chrono::steady_clock;

RunOptions Prog(std::vector<std::string> args) {
  RunOptions o;
  o.argv = ChildArgv(std::move(args));
  return o;
}

class RunWin : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::Create(test_util::SystemTempDir(), "berth-run-");
    ASSERT_TRUE(dir.ok());
    dir_.emplace(std::move(dir).value());
  }
  std::string Path(const std::string& name) const { return dir_->path() + "/" + name; }
  std::optional<TempDir> dir_;
};

TEST_F(RunWin, CapturesStdoutStderrAndExitCode) {
  auto r = RunToCompletion(Prog({"args", "out"}));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->out, "out\n");
  EXPECT_TRUE(r->success());
  r = RunToCompletion(Prog({"err", "3", "end"}));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->err, "xxxend");
  EXPECT_EQ(r->out, "");
  r = RunToCompletion(Prog({"exit", "3"}));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 3);
}

TEST_F(RunWin, FeedsMoreThanAPipeHoldsWhileTheChildWritesBack) {
  RunOptions o = Prog({"cat"});
  o.stdin_data.resize(3 << 20);
  for (size_t i = 0; i < o.stdin_data.size(); ++i)
    o.stdin_data[i] = static_cast<char>('a' + i % 26);
  auto r = RunToCompletion(o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->exit_code, 0);
  EXPECT_TRUE(r->out == o.stdin_data) << r->out.size() << " bytes back";
}

TEST_F(RunWin, EmptyStdinIsAtEofAtOnce) {
  auto r = RunToCompletion(Prog({"cat"}));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->out, "");
  EXPECT_EQ(r->exit_code, 0);
}

TEST_F(RunWin, AChildThatStopsReadingDoesNotHurt) {
  RunOptions o = Prog({"exit", "5"});
  o.stdin_data = std::string(8 << 20, 'x');
  auto r = RunToCompletion(o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->exit_code, 5);
}

TEST_F(RunWin, OutputIsCappedPerStream) {
  RunOptions o = Prog({"out", "100000"});
  o.stdout_limit = 1000;
  auto r = RunToCompletion(o);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 0);  // the excess was drained: the child never blocked
  EXPECT_EQ(r->out.size(), 1000u);
  EXPECT_TRUE(r->out_truncated);
  o = Prog({"err", "50", "end"});
  o.stderr_limit = 10;
  r = RunToCompletion(o);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->err, std::string(10, 'x'));
  EXPECT_TRUE(r->err_truncated);
  EXPECT_FALSE(r->out_truncated);
}

TEST_F(RunWin, KillAtOutputLimitStopsAnEndlessWriter) {
  RunOptions o = Prog({"yes"});
  o.stdout_limit = 1000;
  o.kill_at_output_limit = true;
  auto start = Clock::now();
  auto r = RunToCompletion(o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->out_truncated);
  EXPECT_EQ(r->term_signal, kSigKill);
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(30));
}

TEST_F(RunWin, TimeoutKillsTheChildAndItsJob) {
  const std::string pid_file = Path("grandchild.pid");
  RunOptions o = Prog({"grandchild", pid_file});
  o.timeout = std::chrono::milliseconds(1500);
  auto start = Clock::now();
  auto r = RunToCompletion(o);
  EXPECT_EQ(r.status().code(), Code::kDeadlineExceeded);
  EXPECT_THAT(r.status().message(), HasSubstr("timed out after 1500ms"));
  EXPECT_THAT(r.status().message(), HasSubstr("started"));  // its stderr
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(20));
  const pid_t grandchild = testing::ReadPidFile(pid_file);
  ASSERT_GT(grandchild, 0);
  EXPECT_TRUE(WaitProcessGone(grandchild, std::chrono::seconds(10)));
}

TEST_F(RunWin, OnTimeoutRunsBeforeTheKillAndTheGraceEndsInAKill) {
  RunOptions o = Prog({"sleep", "30000"});
  o.timeout = std::chrono::milliseconds(200);
  o.timeout_grace = std::chrono::milliseconds(200);
  std::atomic<int> calls = 0;
  o.on_timeout = [&] { ++calls; };
  auto start = Clock::now();
  auto r = RunToCompletion(o);
  EXPECT_EQ(r.status().code(), Code::kDeadlineExceeded);
  EXPECT_EQ(calls, 1);
  auto took = Clock::now() - start;
  EXPECT_GE(took, std::chrono::milliseconds(400));
  EXPECT_LT(took, std::chrono::seconds(20));
}

TEST_F(RunWin, ACancelledCallStopsTheChild) {
  RunOptions o = Prog({"sleep", "30000"});
  // The call's deadline passes long before the run's own timeout.
  o.cancel = CancelToken().WithDeadline(Clock::now() + std::chrono::milliseconds(300));
  auto start = Clock::now();
  auto r = RunToCompletion(o);
  EXPECT_EQ(r.status().code(), Code::kDeadlineExceeded) << r.status().ToString();
  EXPECT_THAT(r.status().message(), HasSubstr("stopped waiting for"));
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(20));
}

TEST_F(RunWin, MissingProgramAndPassFdsAreErrors) {
  RunOptions o;
  o.argv = {"C:\\nonexistent\\prog.exe"};
  auto r = RunToCompletion(o);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("cannot execute C:\\nonexistent\\prog.exe"));
  const RunOptions empty;
  EXPECT_EQ(RunToCompletion(empty).status().code(), Code::kInvalidArgument);
  o = Prog({"exit", "0"});
  o.pass_fds = {1};
  EXPECT_EQ(RunToCompletion(o).status().code(), Code::kInvalidArgument);
}

TEST_F(RunWin, LeftoverHelperHoldingThePipesDoesNotHoldUsUp) {
  // Outside a group the helper is nobody's to end; it keeps stdout open.
  const std::string pid_file = Path("helper.pid");
  RunOptions o = Prog({"grandchild-exit", pid_file});
  o.new_process_group = false;
  auto start = Clock::now();
  auto r = RunToCompletion(o);
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(20));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->exit_code, 0);
  const pid_t helper = testing::ReadPidFile(pid_file);
  EXPECT_TRUE(testing::Running(helper));
  testing::Kill(helper);
}

}  // namespace
}  // namespace berth::process
