// Linux build of scoped_fd.h's pipe and non-blocking mode (windows/ has the
// Windows one).
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "pkg/fs/scoped_fd.h"

namespace berth {

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
