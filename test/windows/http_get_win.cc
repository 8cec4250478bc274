// test/unit/metrics/http_get.h on Winsock (http_get.cc is the POSIX one).
#include <winsock2.h>
// After winsock2.h.
#include <ws2tcpip.h>

#include <gtest/gtest.h>

#include "test/unit/metrics/http_get.h"

namespace berth::metrics {
namespace {

// WSAStartup and WSACleanup around one request (they nest: counted per process).
class WinsockSession {
 public:
  WinsockSession() {
    WSADATA data;
    ok_ = ::WSAStartup(MAKEWORD(2, 2), &data) == 0;
  }
  WinsockSession(const WinsockSession&) = delete;
  WinsockSession& operator=(const WinsockSession&) = delete;
  ~WinsockSession() {
    if (ok_) ::WSACleanup();
  }
  bool ok() const { return ok_; }

 private:
  bool ok_ = false;
};

}  // namespace

std::string HttpGet(int port, const std::string& path) {
  WinsockSession winsock;
  if (!winsock.ok()) return "WSAStartup failed";
  SOCKET s = ::socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(uint16_t(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::closesocket(s);
    return "connect failed";
  }
  const std::string req = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
  EXPECT_EQ(::send(s, req.data(), int(req.size()), 0), int(req.size()));
  std::string out;
  char buf[4096];
  for (int n; (n = ::recv(s, buf, sizeof buf, 0)) > 0;) out.append(buf, size_t(n));
  ::closesocket(s);
  return out;
}

}  // namespace berth::metrics
