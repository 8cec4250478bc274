// The pumps' write on Linux: any descriptor (a pipe, a pty, conmon's attach
// socket), waiting for room in poll together with the stop descriptor.
#include <poll.h>
#include <unistd.h>

#include <cerrno>

#include "daemon/stream_pump.h"

namespace berth::daemon {

bool WriteAllToFd(PumpFd fd, const char* data, size_t len, PumpFd stop_fd) {
  while (len > 0) {
    ssize_t n = write(fd, data, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) {
        pollfd p[2] = {{fd, POLLOUT, 0}, {stop_fd, POLLIN, 0}};
        if (poll(p, stop_fd >= 0 ? 2 : 1, -1) < 0 && errno != EINTR) return false;
        if (p[1].revents != 0) return false;
        continue;
      }
      return false;
    }
    data += n;
    len -= static_cast<size_t>(n);
  }
  return true;
}

}  // namespace berth::daemon
