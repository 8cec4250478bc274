// Child on Windows: waiting for and ending one spawned process through its
// process handle, and its group through its job object (child.cc is the
// Linux one).
//
// Signals: Windows delivers none to another process. Child takes Linux's
// numbers; 9 (SIGKILL) is TerminateProcess (TerminateJobObject for the
// group) and reads back as "killed by signal 9"; 0 checks that the child is
// there, as kill(2) does. Any other signal, SIGTERM included, is
// Unimplemented rather than a harder stop than asked for (a console
// Ctrl+Break reaches only children that share our console, which ours do
// not): callers that stop gracefully first fall through to SIGKILL.
#include <windows.h>

#include <algorithm>
#include <mutex>

#include "pkg/base/win32_error.h"
#include "pkg/process/child_state.h"
#include "pkg/process/spawn.h"

namespace berth::process {
namespace {

using internal::kKilledExitCode;
using internal::kKillSignal;

// A wait of up to `left`, rounded up so that it never wakes just short of
// its deadline and spins.
DWORD WaitMs(Child::Clock::duration left) {
  auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
  return static_cast<DWORD>(std::clamp<int64_t>(ms, 0, INFINITE - 1));
}

Status UnsupportedSignal(int sig, const std::string& target) {
  return Unimplemented("signal " + std::to_string(sig) + " to " + target +
                       ": Windows delivers no signals to another process; only 9 (SIGKILL, "
                       "TerminateProcess) is supported");
}

}  // namespace

int Child::pidfd() const {
  return -1;  // Windows has no pidfd; the process handle is internal
}

Status Child::Signal(int sig) {
  if (!state_) return FailedPrecondition("no child process to signal");
  std::lock_guard<std::mutex> lock(state_->mu);
  const std::string what = "signal " + std::to_string(sig) + " to " + state_->Name();
  if (state_->reaped) return FailedPrecondition(what + ": it has exited and been reaped");
  if (sig == 0) return OkStatus();
  if (sig != kKillSignal) return UnsupportedSignal(sig, state_->Name());
  if (TerminateProcess(state_->process.get(), kKilledExitCode)) {
    state_->killed = true;
    return OkStatus();
  }
  const DWORD err = GetLastError();
  // Exited but not reaped: as kill(2) on a zombie, not an error.
  if (WaitForSingleObject(state_->process.get(), 0) == WAIT_OBJECT_0) return OkStatus();
  return win::Win32Error(what, err);
}

Status Child::SignalGroup(int sig) {
  if (!state_ || !state_->group) return FailedPrecondition("child leads no process group");
  std::lock_guard<std::mutex> lock(state_->mu);
  const std::string target = "the process group of " + state_->Name();
  if (sig == 0) return OkStatus();
  if (sig != kKillSignal) return UnsupportedSignal(sig, target);
  if (!TerminateJobObject(state_->job.get(), kKilledExitCode)) {
    return win::Win32Error("signal 9 to " + target, GetLastError());
  }
  if (!state_->reaped) state_->killed = true;
  return OkStatus();
}

Result<std::optional<ExitStatus>> Child::TryWait() {
  if (!state_) return FailedPrecondition("no child process to wait for");
  std::lock_guard<std::mutex> lock(state_->mu);
  if (state_->reaped) return std::optional<ExitStatus>(state_->status);
  DWORD rc = WaitForSingleObject(state_->process.get(), 0);
  if (rc == WAIT_TIMEOUT) return std::optional<ExitStatus>();
  if (rc != WAIT_OBJECT_0) return win::Win32Error("wait for " + state_->Name(), GetLastError());
  DWORD code = 0;
  if (!GetExitCodeProcess(state_->process.get(), &code)) {
    return win::Win32Error("exit code of " + state_->Name(), GetLastError());
  }
  ExitStatus st;
  if (state_->killed && code == kKilledExitCode) {
    st.term_signal = kKillSignal;
  } else {
    // Windows exit codes are 32 bits: a crash's NTSTATUS (0xC0000005) reads
    // back negative.
    st.exit_code = static_cast<int>(code);
  }
  state_->reaped = true;
  state_->status = st;
  return std::optional<ExitStatus>(st);
}

Result<ExitStatus> Child::Wait() {
  if (!state_) return FailedPrecondition("no child process to wait for");
  // Blocks without the lock (Signal may come from another thread meanwhile);
  // the handle stays open for the Child's life.
  if (WaitForSingleObject(state_->process.get(), INFINITE) == WAIT_FAILED) {
    return win::Win32Error("wait for " + state_->Name(), GetLastError());
  }
  BERTH_ASSIGN_OR_RETURN(std::optional<ExitStatus> done, TryWait());
  if (!done) return Internal("wait for " + state_->Name() + ": signalled yet still running");
  return *done;
}

Result<std::optional<ExitStatus>> Child::WaitFor(Clock::time_point deadline) {
  if (!state_) return FailedPrecondition("no child process to wait for");
  for (;;) {
    BERTH_ASSIGN_OR_RETURN(std::optional<ExitStatus> done, TryWait());
    if (done) return done;
    const auto left = deadline - Clock::now();
    if (left <= Clock::duration::zero()) return done;
    if (WaitForSingleObject(state_->process.get(), WaitMs(left)) == WAIT_FAILED) {
      return win::Win32Error("wait for " + state_->Name(), GetLastError());
    }
  }
}

}  // namespace berth::process
