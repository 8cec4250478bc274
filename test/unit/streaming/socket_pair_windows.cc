#include <winsock2.h>
#include <ws2tcpip.h>

#include "test/unit/streaming/socket_pair.h"

namespace berth::streaming::testing {

namespace {
Status SocketError(const std::string& what) {
  return Internal(what + ": Winsock error " + std::to_string(WSAGetLastError()));
}
}  // namespace

Status MakeSocketPair(OwnedSocket& a, OwnedSocket& b) {
  EnsureWinsock();
  OwnedSocket listener(socket(AF_INET, SOCK_STREAM, IPPROTO_TCP));
  if (!listener) return SocketError("socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int len = sizeof addr;
  if (bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      listen(listener.get(), 1) != 0 ||
      getsockname(listener.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return SocketError("loopback listener");
  }
  OwnedSocket client(socket(AF_INET, SOCK_STREAM, IPPROTO_TCP));
  if (!client || connect(client.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    return SocketError("connect to the loopback listener");
  }
  OwnedSocket server(accept(listener.get(), nullptr, nullptr));
  if (!server) return SocketError("accept");
  a = std::move(client);
  b = std::move(server);
  return OkStatus();
}

bool WaitReadable(NativeSocket s, std::chrono::seconds timeout) {
  WSAPOLLFD p{s, POLLRDNORM, 0};
  return WSAPoll(&p, 1, static_cast<int>(timeout.count() * 1000)) != 0;
}

Status SetReceiveTimeout(NativeSocket s, std::chrono::seconds timeout) {
  DWORD ms = static_cast<DWORD>(timeout.count() * 1000);
  if (setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, reinterpret_cast<const char*>(&ms), sizeof ms) != 0) {
    return SocketError("setsockopt SO_RCVTIMEO");
  }
  return OkStatus();
}

}  // namespace berth::streaming::testing
