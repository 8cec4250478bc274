// pkg/process on a kernel without pidfd_open, pidfd_send_signal and
// close_range (before Linux 5.3 / 5.9): a death-test child hides them with a
// seccomp filter (ENOSYS, as an old kernel answers) and runs the checks.
#include <fcntl.h>
#include <seccomp.h>
#include <signal.h>
#include <unistd.h>

#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "pkg/process/run.h"
#include "pkg/process/spawn.h"
#include "pkg/process/wait_gone.h"
#include "test/unit/process/test_util.h"

namespace berth::process {
namespace {

using std::chrono::milliseconds;

bool HideNewSyscalls() {
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
  if (ctx == nullptr) return false;
  bool ok = true;
  for (int nr : {SCMP_SYS(pidfd_open), SCMP_SYS(pidfd_send_signal), SCMP_SYS(close_range)}) {
    ok &= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), nr, 0) == 0;
  }
  ok &= seccomp_load(ctx) == 0;
  seccomp_release(ctx);
  return ok;
}

#define CHECK_THAT(cond, what)                           \
  do {                                                   \
    if (!(cond)) failures << "failed: " << what << "\n"; \
  } while (0)

// Runs in the death-test child; returns what went wrong (empty: all well).
std::string FallbackFailures() {
  std::ostringstream failures;
  if (!HideNewSyscalls()) return "cannot install the seccomp filter\n";

  // Signal from another thread while Wait blocks, without a pidfd.
  SpawnOptions sleeper;
  sleeper.argv = {"/bin/sleep", "30"};
  auto child = Spawn(sleeper);
  CHECK_THAT(child.ok(), "spawn: " << child.status().ToString());
  if (!child.ok()) return failures.str();
  CHECK_THAT(child->pidfd() == -1, "a pidfd although pidfd_open is hidden");
  auto early = child->WaitFor(Child::Clock::now() + milliseconds(50));
  CHECK_THAT(early.ok() && !early->has_value(), "WaitFor on a running child");
  CHECK_THAT(!WaitProcessGone(child->pid(), milliseconds(50)), "WaitProcessGone on a runner");
  Result<ExitStatus> waited = Internal("not waited");
  std::thread waiter([&] { waited = child->Wait(); });
  CHECK_THAT(child->Signal(SIGTERM).ok(), "Signal");
  waiter.join();
  CHECK_THAT(waited.ok() && waited->term_signal == SIGTERM, "Wait after SIGTERM");
  CHECK_THAT(WaitProcessGone(child->pid(), milliseconds(10000)), "WaitProcessGone");

  // Descriptors closed by walking /proc/self/fd, inheritable ones included.
  ScopedFd leak = testing::OpenInheritable("/dev/zero", 100);
  RunOptions list;
  list.argv = {"/bin/sh", "-c", testing::kListFds};
  auto listed = RunToCompletion(list);
  CHECK_THAT(listed.ok(), "list fds: " << listed.status().ToString());
  if (listed.ok()) {
    auto fds = testing::ParseFdList(listed->out);
    CHECK_THAT(fds.size() == 3 && fds.rbegin()->first == 2, "child fds: " << listed->out);
  }

  // A timeout still kills and reaps, polling in steps.
  RunOptions slow;
  slow.argv = {"/bin/sleep", "30"};
  slow.timeout = milliseconds(200);
  auto timed_out = RunToCompletion(slow);
  CHECK_THAT(timed_out.status().code() == Code::kDeadlineExceeded,
             "timeout: " << timed_out.status().ToString());
  return failures.str();
}

TEST(Fallback, WorksWithoutPidfdsAndCloseRange) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        std::string f = FallbackFailures();
        fputs(f.c_str(), stderr);
        _exit(f.empty() ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "");
}

}  // namespace
}  // namespace berth::process
