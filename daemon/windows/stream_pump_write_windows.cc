// The pumps' write on Windows, where WSAPoll waits on sockets only: `fd` is a
// non-blocking socket, and the stop descriptor a Hangup's (a socket there
// too, pkg/streaming/windows/hangup_windows.cc).
#include <winsock2.h>

#include <climits>

#include "daemon/stream_pump.h"

namespace berth::daemon {

bool WriteAllToFd(PumpFd fd, const char* data, size_t len, PumpFd stop_fd) {
  while (len > 0) {
    const int piece = len > static_cast<size_t>(INT_MAX) ? INT_MAX : static_cast<int>(len);
    const int n = send(fd, data, piece, 0);
    if (n == SOCKET_ERROR) {
      if (WSAGetLastError() != WSAEWOULDBLOCK) return false;
      WSAPOLLFD p[2] = {{fd, POLLWRNORM, 0}, {stop_fd, POLLRDNORM, 0}};
      if (WSAPoll(p, stop_fd != INVALID_SOCKET ? 2 : 1, -1) == SOCKET_ERROR) return false;
      if (p[1].revents != 0) return false;
      continue;
    }
    data += n;
    len -= static_cast<size_t>(n);
  }
  return true;
}

}  // namespace berth::daemon
