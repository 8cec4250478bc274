// RunToCompletion under a cancellation token: whoever the child runs for
// gives up (a CRI call's client cancels, its deadline passes) and the child,
// its process group and its supervised process are ended and reaped.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "pkg/base/cancel.h"
#include "pkg/base/cancel_scope.h"
#include "pkg/process/run.h"
#include "pkg/process/wait_gone.h"
#include "test/unit/process/test_util.h"

namespace berth::process {
namespace {

using testing::Eventually;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::ReadPidFile;
using testing::Running;
using testing::Sh;
using Clock = std::chrono::steady_clock;

// A child that records its pid and a helper's (a member of its process
// group), then waits far longer than any test.
RunOptions Blocker(const testing::Scratch& scratch) {
  return Sh("sleep 300 & echo $! >" + scratch / "helper.pid" + "; echo $$ >" +
            scratch / "child.pid" + "; wait");
}

TEST(RunToCompletionCancel, CancelKillsTheChildAndItsGroupAndReapsIt) {
  testing::Scratch scratch;
  CancelSource source;
  RunOptions o = Blocker(scratch);
  o.cancel = source.token();
  std::thread canceller([&] {
    // The helper's pid is written first, so both exist once child.pid does.
    ASSERT_TRUE(Eventually([&] { return ReadPidFile(scratch / "child.pid") > 0; }));
    source.Cancel();
  });
  const auto start = Clock::now();
  auto r = RunToCompletion(o);
  canceller.join();
  EXPECT_EQ(r.status().code(), Code::kCancelled) << r.status().ToString();
  EXPECT_THAT(r.status().message(), HasSubstr("stopped waiting for /bin/sh"));
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(10)) << "the 60 s timeout ended it";
  const pid_t child = ReadPidFile(scratch / "child.pid");
  const pid_t helper = ReadPidFile(scratch / "helper.pid");
  ASSERT_GT(child, 0);
  ASSERT_GT(helper, 0);
  // Reaped: the pid no longer names a process (not even a zombie of ours).
  EXPECT_NE(kill(child, 0), 0) << "the child is not reaped";
  EXPECT_TRUE(WaitProcessGone(helper, std::chrono::seconds(10))) << "the group member survived";
}

TEST(RunToCompletionCancel, TheTokensDeadlineEndsTheChildBeforeItsOwnTimeout) {
  testing::Scratch scratch;
  RunOptions o = Blocker(scratch);
  o.timeout = std::chrono::seconds(60);
  o.cancel = CancelToken().WithDeadline(Clock::now() + std::chrono::milliseconds(300));
  const auto start = Clock::now();
  auto r = RunToCompletion(o);
  EXPECT_EQ(r.status().code(), Code::kDeadlineExceeded) << r.status().ToString();
  // The caller's deadline, not the child's own timeout.
  EXPECT_THAT(r.status().message(), HasSubstr("stopped waiting for /bin/sh"));
  EXPECT_THAT(r.status().message(), Not(HasSubstr("timed out after")));
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(10));
  EXPECT_TRUE(WaitProcessGone(ReadPidFile(scratch / "helper.pid"), std::chrono::seconds(10)));
}

TEST(RunToCompletionCancel, OptionsTakeTheThreadsTokenAndAProbeCancels) {
  testing::Scratch scratch;
  std::atomic<bool> client_gone = false;
  RunOptions o;
  {
    // As a CRI call installs its token: options built inside the scope use it.
    CancelScope call(CancelToken().WithProbe([&] { return client_gone.load(); }));
    o = Blocker(scratch);
  }
  std::thread canceller([&] {
    ASSERT_TRUE(Eventually([&] { return ReadPidFile(scratch / "child.pid") > 0; }));
    client_gone = true;
  });
  auto r = RunToCompletion(o);
  canceller.join();
  EXPECT_EQ(r.status().code(), Code::kCancelled) << r.status().ToString();
}

TEST(RunToCompletionCancel, UncancellableWorkRunsInACancelledCall) {
  CancelSource source;
  source.Cancel();
  CancelScope call(source.token());
  RunOptions cancelled = Sh("exec sleep 300");
  {
    UncancellableScope cleanup;
    auto r = RunToCompletion(Sh("exit 3"));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->exit_code, 3);
  }
  // Control: the same command in the cancelled call itself is stopped.
  EXPECT_EQ(RunToCompletion(cancelled).status().code(), Code::kCancelled);
}

TEST(RunToCompletionCancel, OnTimeoutRunsOnceUncancellableBeforeTheKill) {
  // Like `runc exec`: on_timeout kills the process it supervises, which the
  // call's cancellation must not cut short.
  testing::Scratch scratch;
  CancelSource source;
  RunOptions o = Sh("echo $$ >" + scratch / "child.pid" + "; exec sleep 300");
  o.cancel = source.token();
  o.timeout_grace = std::chrono::milliseconds(100);
  std::atomic<int> calls = 0;
  bool running_then = false;
  bool cancelled_inside = true;
  o.on_timeout = [&] {
    ++calls;
    running_then = Running(ReadPidFile(scratch / "child.pid"));
    cancelled_inside = CurrentCancelToken().cancelled();
  };
  std::thread canceller([&] {
    ASSERT_TRUE(Eventually([&] { return ReadPidFile(scratch / "child.pid") > 0; }));
    source.Cancel();
  });
  auto r = RunToCompletion(o);
  canceller.join();
  EXPECT_EQ(r.status().code(), Code::kCancelled);
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(running_then);
  EXPECT_FALSE(cancelled_inside);
  EXPECT_FALSE(Running(ReadPidFile(scratch / "child.pid")));
}

}  // namespace
}  // namespace berth::process
