// Windows build of scoped_fd.h's pipe and non-blocking mode (scoped_fd_linux.cc
// is the Linux one), on the C runtime's descriptors.
#include <fcntl.h>
#include <io.h>

#include <cerrno>
#include <string>

#include "pkg/fs/scoped_fd.h"

namespace berth {

Status SetNonBlocking(int fd) {
  // The C runtime's descriptors have no non-blocking mode; on Windows that is
  // a property of the handle's creation (overlapped I/O).
  return Unimplemented("set fd " + std::to_string(fd) +
                       " non-blocking: C runtime descriptors have no such mode on Windows");
}

Status MakePipe(ScopedFd& read_end, ScopedFd& write_end) {
  int p[2];
  // _O_NOINHERIT: the close-on-exec of Windows (child processes do not get it).
  if (::_pipe(p, 64 * 1024, _O_BINARY | _O_NOINHERIT) != 0) return ErrnoError("_pipe", errno);
  read_end.reset(p[0]);
  write_end.reset(p[1]);
  return OkStatus();
}

}  // namespace berth
