// ScopedFd: owns one file descriptor and closes it when it goes out of scope.
#pragma once

#include <utility>

#include "pkg/base/status.h"

namespace berth {

class ScopedFd {
 public:
  ScopedFd() = default;
  explicit ScopedFd(int fd) : fd_(fd) {}
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;
  ScopedFd(ScopedFd&& other) noexcept : fd_(other.release()) {}
  ScopedFd& operator=(ScopedFd&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  ~ScopedFd() { reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  explicit operator bool() const { return valid(); }

  // Gives up ownership without closing; returns the descriptor.
  int release() { return std::exchange(fd_, -1); }
  // Closes the current descriptor (errors ignored) and owns `fd` instead.
  void reset(int fd = -1);
  // Closes now and reports a failed close(2): after writes, a close error can
  // be the first sign the data did not reach the disk.
  Status Close();

 private:
  int fd_ = -1;
};

// Sets O_NONBLOCK on `fd`.
Status SetNonBlocking(int fd);

// A close-on-exec pipe: its read and write ends.
Status MakePipe(ScopedFd& read_end, ScopedFd& write_end);

}  // namespace berth
