// A TCP port on 127.0.0.1 that is free now: the kernel's pick for a socket
// bound to port 0, free again once that socket is closed. Shared by the
// integration tests, the kubelet test and the benches.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace berth::testing {

// The port, or -1 when no socket could be bound.
inline int FreeLoopbackPort() {
  // A plain descriptor: the header needs no library (the kubelet test links none).
  const int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) return -1;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  const bool bound = bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
                     getsockname(s, reinterpret_cast<sockaddr*>(&a), &len) == 0;
  close(s);
  return bound ? ntohs(a.sin_port) : -1;
}

}  // namespace berth::testing
