// What a Child owns on Windows; shared by spawn_windows.cc (which fills it),
// child_windows.cc and child_common.cc. Internal to pkg/process's Windows
// build (through child_state.h; child_state_linux.h is the Linux one).
#pragma once

#include <windows.h>

#include <mutex>
#include <string>

#include "pkg/fs/windows/scoped_handle.h"
#include "pkg/process/spawn.h"

namespace berth::process {
namespace internal {

// The signal that kills a child outright. Child::Signal takes Linux's
// signal numbers: the Windows C runtime has no SIGKILL, and only this one
// has a Windows meaning (TerminateProcess).
inline constexpr int kKillSignal = 9;
// The exit code a process ended by kKillSignal gets; with State::killed it
// reads back as "killed by signal 9".
inline constexpr UINT kKilledExitCode = 128 + kKillSignal;

}  // namespace internal

struct Child::State {
  pid_t pid = -1;
  win::ScopedHandle process;  // kept open for the Child's life: the pid stays ours
  // With a group: the job object holding the child and everything it starts,
  // KILL_ON_JOB_CLOSE, so closing it with the Child ends them all.
  win::ScopedHandle job;
  bool group = false;
  std::string argv0;

  std::mutex mu;
  bool reaped = false;  // guarded by mu
  bool killed = false;  // guarded by mu: a kKillSignal of ours succeeded
  ExitStatus status;    // guarded by mu; valid once reaped

  // "<argv0> (pid <n>)", for messages.
  std::string Name() const { return argv0 + " (pid " + std::to_string(pid) + ")"; }
};

}  // namespace berth::process
