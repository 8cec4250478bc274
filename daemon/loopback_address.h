// The loopback address port-forward dials on either platform (pod_dial.cc,
// windows/pod_dial_windows.cc): the socket structures are the same, only
// their headers differ.
#pragma once

#ifdef _WIN32
#include <winsock2.h>
#include <ws2tcpip.h>
#else
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#endif

#include <cstdint>

namespace berth::daemon {

// Fills `ss` with `port` on 127.0.0.1 (AF_INET) or ::1 (AF_INET6); returns
// the address's length for connect().
inline socklen_t LoopbackAddress(int family, uint16_t port, sockaddr_storage& ss) {
  ss = {};
  if (family == AF_INET) {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    a->sin_port = htons(port);
    a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return sizeof *a;
  }
  auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
  a->sin6_family = AF_INET6;
  a->sin6_port = htons(port);
  a->sin6_addr = in6addr_loopback;
  return sizeof *a;
}

}  // namespace berth::daemon
