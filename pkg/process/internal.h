// Helpers internal to pkg/process: the pidfd and close_range system calls
// (glibc 2.36 does not wrap them all) and poll(2) timeouts.
#pragma once

#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>

namespace berth::process::internal {

// -1 with errno set on failure (ENOSYS before Linux 5.3).
inline int PidfdOpen(pid_t pid) {
  return static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
}

inline int PidfdSendSignal(int pidfd, int sig) {
  return static_cast<int>(syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0));
}

// Closes every descriptor from `first` up; -1 with errno set (ENOSYS before
// Linux 5.9). Async-signal-safe.
inline int CloseRange(unsigned first) {
  return static_cast<int>(syscall(SYS_close_range, first, ~0U, 0));
}

// A poll(2) timeout for `left`, rounded up so that a wait never wakes just
// short of its deadline and spins.
inline int PollMs(std::chrono::steady_clock::duration left) {
  auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
  return static_cast<int>(std::clamp<int64_t>(ms, 0, 1 << 30));
}

}  // namespace berth::process::internal
