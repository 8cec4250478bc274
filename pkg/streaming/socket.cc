#include "pkg/streaming/socket.h"

#include <sys/socket.h>

#include <cerrno>

namespace berth::streaming {

bool SendAll(NativeSocket s, const char* data, size_t len) {
  while (len > 0) {
    ssize_t n = send(s, data, len, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    len -= static_cast<size_t>(n);
  }
  return true;
}

long ReceiveSome(NativeSocket s, char* buf, size_t len) {
  while (true) {
    ssize_t n = recv(s, buf, len, 0);
    if (n < 0 && errno == EINTR) continue;
    return n < 0 ? -1 : static_cast<long>(n);
  }
}

void ShutdownSocket(NativeSocket s, ShutdownHow how) {
  shutdown(s, how == ShutdownHow::kWrite ? SHUT_WR : SHUT_RDWR);
}

}  // namespace berth::streaming
