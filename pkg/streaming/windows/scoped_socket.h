// Owns one Winsock SOCKET and closes it when it goes out of scope: the
// Windows build's counterpart of ScopedFd for sockets (pkg/streaming/socket.h).
#pragma once

#include <winsock2.h>

#include <cstdint>
#include <utility>

namespace berth::streaming {

class ScopedSocket {
 public:
  using Native = SOCKET;

  ScopedSocket() = default;
  explicit ScopedSocket(SOCKET s) : socket_(s) {}
  ScopedSocket(const ScopedSocket&) = delete;
  ScopedSocket& operator=(const ScopedSocket&) = delete;
  ScopedSocket(ScopedSocket&& other) noexcept : socket_(other.release()) {}
  ScopedSocket& operator=(ScopedSocket&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  ~ScopedSocket() { reset(); }

  SOCKET get() const { return socket_; }
  bool valid() const { return socket_ != INVALID_SOCKET; }
  explicit operator bool() const { return valid(); }
  SOCKET release() { return std::exchange(socket_, INVALID_SOCKET); }
  // Closes the current socket (errors ignored) and owns `s` instead.
  void reset(SOCKET s = INVALID_SOCKET) {
    SOCKET old = std::exchange(socket_, s);
    if (old != INVALID_SOCKET) ::closesocket(old);
  }

 private:
  SOCKET socket_ = INVALID_SOCKET;
};

// Starts Winsock once for the process (WSAStartup); what creates a socket
// outside Asio, which starts it for its own, calls this first.
void EnsureWinsock();

}  // namespace berth::streaming
