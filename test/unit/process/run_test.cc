#include "pkg/process/run.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "pkg/process/wait_gone.h"
#include "test/unit/process/test_util.h"

namespace berth::process {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;
using testing::ReadPidFile;
using testing::Running;
using testing::Sh;
using Clock = std::chrono::steady_clock;

TEST(RunToCompletion, CapturesOutputAndExitCode) {
  auto r = RunToCompletion(Sh("echo out; echo err >&2; exit 3"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->exit_code, 3);
  EXPECT_EQ(r->out, "out\n");
  EXPECT_EQ(r->err, "err\n");
  EXPECT_FALSE(r->success());
  EXPECT_EQ(r->Describe(), "exit status 3");
}

TEST(RunToCompletion, NoShellArgumentsStayLiteral) {
  RunOptions o;
  o.argv = {"/bin/echo", "$(id)", "a;b"};
  auto r = RunToCompletion(o);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->out, "$(id) a;b\n");
}

TEST(RunToCompletion, StdinAndEnv) {
  RunOptions o = Sh("cat; printf %s \"$BERTH_X\"");
  o.stdin_data = std::string(200000, 'x');
  o.extra_env = {"BERTH_X=y"};
  auto r = RunToCompletion(o);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->out, std::string(200000, 'x') + "y");
}

TEST(RunToCompletion, FeedsMoreThanAPipeHoldsWhileTheChildWritesBack) {
  // cat writes back before it has read everything: feeding must go on while
  // its output is drained, or both sides block on full buffers.
  RunOptions o;
  o.argv = {"/bin/cat"};
  o.stdin_data.resize(3 << 20);
  for (size_t i = 0; i < o.stdin_data.size(); ++i)
    o.stdin_data[i] = static_cast<char>('a' + i % 26);
  o.timeout = std::chrono::seconds(60);
  auto r = RunToCompletion(o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->exit_code, 0);
  EXPECT_FALSE(r->out_truncated);
  EXPECT_TRUE(r->out == o.stdin_data) << r->out.size() << " bytes back";
}

TEST(RunToCompletion, EmptyStdinIsAtEofAtOnce) {
  auto r = RunToCompletion(Sh("cat; echo done"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->out, "done\n");
}

TEST(RunToCompletion, AChildThatStopsReadingDoesNotHurt) {
  // The child exits without reading; writing to it fails (EPIPE), and must
  // neither kill us with SIGPIPE nor hang.
  RunOptions o = Sh("exit 5");
  o.stdin_data = std::string(8 << 20, 'x');
  auto r = RunToCompletion(o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->exit_code, 5);
}

TEST(RunToCompletion, OutputIsCappedPerStream) {
  RunOptions o = Sh("head -c 100000 /dev/zero; head -c 50 /dev/zero >&2; echo end >&2");
  o.stdout_limit = 1000;
  o.stderr_limit = 10;
  auto r = RunToCompletion(o);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 0);  // the excess was drained: the child never blocked
  EXPECT_EQ(r->out.size(), 1000u);
  EXPECT_TRUE(r->out_truncated);
  EXPECT_EQ(r->err.size(), 10u);
  EXPECT_TRUE(r->err_truncated);

  auto small = RunToCompletion(Sh("echo 12345"));
  EXPECT_FALSE(small->out_truncated);
}

TEST(RunToCompletion, KillAtOutputLimitStopsAnEndlessWriter) {
  RunOptions o;
  o.argv = {"/usr/bin/yes"};
  o.stdout_limit = 1000;
  o.kill_at_output_limit = true;
  o.timeout = std::chrono::seconds(60);
  auto start = Clock::now();
  auto r = RunToCompletion(o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->out_truncated);
  EXPECT_EQ(r->term_signal, SIGKILL);
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(30));
}

TEST(RunToCompletion, TimeoutKillsChildAndItsGroup) {
  testing::Scratch scratch;
  const std::string pid_file = scratch / "helper.pid";
  // The helper is a group member the child started; only a kill of the
  // whole group reaches it.
  RunOptions o = Sh("sleep 30 & echo $! >" + pid_file + "; echo started >&2; wait");
  o.timeout = std::chrono::milliseconds(1000);
  auto start = Clock::now();
  auto r = RunToCompletion(o);
  EXPECT_EQ(r.status().code(), Code::kDeadlineExceeded);
  EXPECT_THAT(r.status().message(), HasSubstr("/bin/sh timed out after 1000ms"));
  EXPECT_THAT(r.status().message(), HasSubstr("started"));
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(10));
  pid_t helper = ReadPidFile(pid_file);
  ASSERT_GT(helper, 0);
  EXPECT_TRUE(WaitProcessGone(helper, std::chrono::seconds(10)));
}

TEST(RunToCompletion, OnTimeoutRunsBeforeTheKill) {
  testing::Scratch scratch;
  const std::string pid_file = scratch / "child.pid";
  RunOptions o = Sh("echo $$ >" + pid_file + "; exec sleep 30");
  o.timeout = std::chrono::milliseconds(300);
  o.timeout_grace = std::chrono::milliseconds(100);
  std::atomic<int> calls = 0;
  bool running_then = false;
  o.on_timeout = [&] {
    ++calls;
    running_then = Running(ReadPidFile(pid_file));
  };
  auto r = RunToCompletion(o);
  EXPECT_EQ(r.status().code(), Code::kDeadlineExceeded);
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(running_then);
  EXPECT_FALSE(Running(ReadPidFile(pid_file)));
}

TEST(RunToCompletion, OnTimeoutLetsTheChildEndWithinTheGrace) {
  // Like `runc exec`: the child waits for a process it supervises; on_timeout
  // kills that process, and the child ends by itself well before the grace
  // is over.
  testing::Scratch scratch;
  const std::string pid_file = scratch / "supervised.pid";
  RunOptions o = Sh("sleep 30 & echo $! >" + pid_file + "; wait; echo reaped >&2");
  o.timeout = std::chrono::milliseconds(300);
  o.timeout_grace = std::chrono::seconds(30);
  o.on_timeout = [&] { kill(ReadPidFile(pid_file), SIGKILL); };
  auto start = Clock::now();
  auto r = RunToCompletion(o);
  EXPECT_EQ(r.status().code(), Code::kDeadlineExceeded);
  EXPECT_THAT(r.status().message(), HasSubstr("reaped"));
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(20));
}

TEST(RunToCompletion, GraceEndsInAKillWhenTheChildDoesNotEnd) {
  RunOptions o = Sh("exec sleep 30");
  o.timeout = std::chrono::milliseconds(200);
  o.timeout_grace = std::chrono::milliseconds(200);
  o.on_timeout = [] {};
  auto start = Clock::now();
  auto r = RunToCompletion(o);
  EXPECT_EQ(r.status().code(), Code::kDeadlineExceeded);
  auto took = Clock::now() - start;
  EXPECT_GE(took, std::chrono::milliseconds(400));
  EXPECT_LT(took, std::chrono::seconds(20));
}

TEST(RunToCompletion, MissingProgramIsError) {
  RunOptions o;
  o.argv = {"/nonexistent/prog"};
  auto r = RunToCompletion(o);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("cannot execute /nonexistent/prog"));
  EXPECT_EQ(RunToCompletion(RunOptions{}).status().code(), Code::kInvalidArgument);
}

TEST(RunToCompletion, PassFdsAndNothingElseLeaks) {
  auto pipe = testing::MakePipe();
  testing::Scratch scratch;
  const std::string marker = scratch / "inheritable-marker";
  ScopedFd leak = testing::OpenInheritable(marker, 100);
  RunOptions o = Sh(std::string("echo hi >&3; ") + testing::kListFds);
  o.pass_fds = {pipe.write.get()};
  auto r = RunToCompletion(o);
  pipe.write.reset();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(testing::ReadAll(pipe.read.get()), "hi\n");
  EXPECT_THAT(testing::ParseFdList(r->out),
              ElementsAre(Pair(0, "/dev/null"), Pair(1, HasSubstr("pipe:")),
                          Pair(2, HasSubstr("pipe:")), Pair(3, HasSubstr("pipe:"))))
      << r->out;
  EXPECT_THAT(r->out, ::testing::Not(HasSubstr(marker)));
}

TEST(RunToCompletion, LeftoverHelperHoldingThePipesDoesNotHoldUsUp) {
  // The child exits at once; its helper keeps stdout open for 30 s.
  auto start = Clock::now();
  auto r = RunToCompletion(Sh("sleep 30 & echo $!"));
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(20));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 0);
  pid_t helper = std::stoi(r->out);
  EXPECT_TRUE(Running(helper));
  kill(helper, SIGKILL);
}

}  // namespace
}  // namespace berth::process
