#include "test/unit/streaming/socket_pair.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cerrno>

namespace berth::streaming::testing {

Status MakeSocketPair(OwnedSocket& a, OwnedSocket& b) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    return ErrnoError("socketpair", errno);
  }
  a.reset(sv[0]);
  b.reset(sv[1]);
  return OkStatus();
}

bool WaitReadable(NativeSocket s, std::chrono::seconds timeout) {
  pollfd p{s, POLLIN, 0};
  return poll(&p, 1, static_cast<int>(timeout.count() * 1000)) != 0;
}

Status SetReceiveTimeout(NativeSocket s, std::chrono::seconds timeout) {
  timeval tv{static_cast<time_t>(timeout.count()), 0};
  if (setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0) {
    return ErrnoError("setsockopt SO_RCVTIMEO", errno);
  }
  return OkStatus();
}

}  // namespace berth::streaming::testing
