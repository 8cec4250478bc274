#include "pkg/fs/scoped_fd.h"

#include <unistd.h>

#include <cerrno>

namespace berth {

void ScopedFd::reset(int fd) {
  int old = std::exchange(fd_, fd);
  // Not retried on EINTR: on Linux the descriptor is released regardless, and
  // a retry could close a descriptor another thread just opened.
  if (old >= 0) ::close(old);
}

Status ScopedFd::Close() {
  int old = release();
  if (old < 0) return OkStatus();
  if (::close(old) != 0 && errno != EINTR) {
    return ErrnoError("close fd " + std::to_string(old), errno);
  }
  return OkStatus();
}

}  // namespace berth
