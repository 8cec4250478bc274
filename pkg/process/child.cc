// Child on Linux: waiting for, signalling and reaping one spawned process
// through its pid (and pidfd); child_common.cc has what is the same on Windows.
#include "pkg/process/spawn.h"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>

#include <cerrno>
#include <mutex>
#include <thread>

#include "pkg/fs/scoped_fd.h"
#include "pkg/process/child_state.h"
#include "pkg/process/internal.h"

namespace berth::process {
namespace {

ExitStatus FromSiginfo(const siginfo_t& info) {
  ExitStatus st;
  if (info.si_code == CLD_EXITED) {
    st.exit_code = info.si_status;
  } else {
    st.term_signal = info.si_status;  // CLD_KILLED or CLD_DUMPED
  }
  return st;
}

}  // namespace

int Child::pidfd() const {
  return state_ ? state_->pidfd.get() : -1;
}

Status Child::Signal(int sig) {
  if (!state_) return FailedPrecondition("no child process to signal");
  std::lock_guard<std::mutex> lock(state_->mu);
  const std::string what = "signal " + std::to_string(sig) + " to " + state_->Name();
  if (state_->reaped) return FailedPrecondition(what + ": it has exited and been reaped");
  int rc = state_->pidfd.valid() ? internal::PidfdSendSignal(state_->pidfd.get(), sig)
                                 : kill(state_->pid, sig);
  if (rc != 0) return ErrnoError(what, errno);
  return OkStatus();
}

Status Child::SignalGroup(int sig) {
  if (!state_ || !state_->group) return FailedPrecondition("child leads no process group");
  // Under the lock: while the leader is unreaped its pid (the group id) cannot
  // be reused; after that, surviving members keep the group id taken.
  std::lock_guard<std::mutex> lock(state_->mu);
  if (kill(-state_->pid, sig) != 0 && errno != ESRCH) {
    return ErrnoError(
        "signal " + std::to_string(sig) + " to the process group of " + state_->Name(), errno);
  }
  return OkStatus();
}

Result<std::optional<ExitStatus>> Child::TryWait() {
  if (!state_) return FailedPrecondition("no child process to wait for");
  std::lock_guard<std::mutex> lock(state_->mu);
  if (state_->reaped) return std::optional<ExitStatus>(state_->status);
  siginfo_t info{};
  int rc;
  do {
    rc = waitid(P_PID, static_cast<id_t>(state_->pid), &info, WEXITED | WNOHANG);
  } while (rc < 0 && errno == EINTR);
  if (rc < 0) return ErrnoError("wait for " + state_->Name(), errno);
  if (info.si_pid == 0) return std::optional<ExitStatus>();  // still running
  state_->reaped = true;
  state_->status = FromSiginfo(info);
  return std::optional<ExitStatus>(state_->status);
}

Result<ExitStatus> Child::Wait() {
  if (!state_) return FailedPrecondition("no child process to wait for");
  for (;;) {
    BERTH_ASSIGN_OR_RETURN(std::optional<ExitStatus> done, TryWait());
    if (done) return *done;
    // Block until it has exited without reaping it (WNOWAIT): the reaping
    // happens in TryWait, under the lock that Signal takes.
    siginfo_t info{};
    int rc = waitid(P_PID, static_cast<id_t>(state_->pid), &info, WEXITED | WNOWAIT);
    // ECHILD: another thread's Wait reaped it meanwhile; TryWait has the status.
    if (rc < 0 && errno != EINTR && errno != ECHILD) {
      return ErrnoError("wait for " + state_->Name(), errno);
    }
  }
}

Result<std::optional<ExitStatus>> Child::WaitFor(Clock::time_point deadline) {
  if (!state_) return FailedPrecondition("no child process to wait for");
  for (;;) {
    BERTH_ASSIGN_OR_RETURN(std::optional<ExitStatus> done, TryWait());
    if (done) return done;
    const auto left = deadline - Clock::now();
    if (left <= Clock::duration::zero()) return done;
    if (state_->pidfd.valid()) {
      pollfd p{state_->pidfd.get(), POLLIN, 0};
      if (poll(&p, 1, internal::PollMs(left)) < 0 && errno != EINTR) {
        return ErrnoError("poll pidfd of " + state_->Name(), errno);
      }
    } else {
      // No pidfd (Linux < 5.3): nothing to block on with a timeout, so look
      // again in short steps.
      std::this_thread::sleep_for(std::min<Clock::duration>(left, std::chrono::milliseconds(5)));
    }
  }
}

}  // namespace berth::process
