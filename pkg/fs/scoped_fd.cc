#include "pkg/fs/scoped_fd.h"

#include <fcntl.h>

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

Status SetNonBlocking(int fd) {
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
    return ErrnoError("fcntl O_NONBLOCK", errno);
  }
  return OkStatus();
}

Status MakePipe(ScopedFd& read_end, ScopedFd& write_end) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) return ErrnoError("pipe2", errno);
  read_end.reset(p[0]);
  write_end.reset(p[1]);
  return OkStatus();
}

}  // namespace berth
