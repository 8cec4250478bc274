// What a Child owns on Linux; shared by spawn.cc (which fills it), child.cc
// and child_common.cc. Internal to pkg/process (through child_state.h).
#pragma once

#include <signal.h>

#include <mutex>
#include <string>

#include "pkg/fs/scoped_fd.h"
#include "pkg/process/spawn.h"

namespace berth::process {
namespace internal {

// The signal that kills a child outright.
inline constexpr int kKillSignal = SIGKILL;

}  // namespace internal

struct Child::State {
  pid_t pid = -1;
  ScopedFd pidfd;  // invalid on kernels without pidfd_open
  bool group = false;
  std::string argv0;

  std::mutex mu;
  bool reaped = false;  // guarded by mu
  ExitStatus status;    // guarded by mu; valid once reaped

  // "<argv0> (pid <n>)", for messages.
  std::string Name() const { return argv0 + " (pid " + std::to_string(pid) + ")"; }
};

}  // namespace berth::process
