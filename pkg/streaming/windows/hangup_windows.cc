// Hangup on Windows: WSAPoll waits on sockets only, so the signal is a
// datagram a loopback UDP socket sends to its own address, and the socket
// becomes readable as an eventfd does on Linux. Loopback datagrams are not
// dropped while the receive buffer has room, and one is enough.
#include <winsock2.h>
#include <ws2tcpip.h>

#include <cstdlib>

#include "pkg/streaming/channels.h"

namespace berth::streaming {

Hangup::Hangup() {
  EnsureWinsock();
  OwnedSocket s(socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;  // any free port; connect() below names it
  int len = sizeof addr;
  // Connected to itself, so Signal is a plain send. Each step can fail only
  // when the host has no loopback or no sockets left, as eventfd on Linux
  // fails only without descriptors: the handle then stays invalid and
  // signalled() says false, as Linux's does with a failed eventfd.
  if (!s || bind(s.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      getsockname(s.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0 ||
      connect(s.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    return;
  }
  u_long non_blocking = 1;
  ioctlsocket(s.get(), FIONBIO, &non_blocking);
  fd_ = std::move(s);
}

void Hangup::Signal() {
  const char one = 1;
  // A full receive buffer means it is readable already.
  (void)send(fd_.get(), &one, 1, 0);
}

bool Hangup::signalled() const {
  WSAPOLLFD p{fd_.get(), POLLRDNORM, 0};
  return WSAPoll(&p, 1, 0) == 1 && (p.revents & POLLRDNORM) != 0;
}

}  // namespace berth::streaming
