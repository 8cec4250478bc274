// Winsock's side of pkg/streaming/socket.h. send() on Windows raises no
// signal, so there is no MSG_NOSIGNAL to ask for, and a blocking call is not
// interrupted the way EINTR reports on Linux.
#include <windows.h>
#include <winsock2.h>

#include <climits>
#include <cstdlib>
#include <mutex>

#include "pkg/streaming/socket.h"

namespace berth::streaming {

void EnsureWinsock() {
  static std::once_flag once;
  std::call_once(once, [] {
    WSADATA data;
    // Without Winsock no socket call can work: a broken host, not an error
    // to recover from.
    if (WSAStartup(MAKEWORD(2, 2), &data) != 0) std::abort();
  });
}

bool SendAll(NativeSocket s, const char* data, size_t len) {
  while (len > 0) {
    // send() takes an int length: large buffers go in INT_MAX pieces.
    int piece = len > static_cast<size_t>(INT_MAX) ? INT_MAX : static_cast<int>(len);
    int n = send(s, data, piece, 0);
    if (n <= 0) return false;
    data += n;
    len -= static_cast<size_t>(n);
  }
  return true;
}

long ReceiveSome(NativeSocket s, char* buf, size_t len) {
  int piece = len > static_cast<size_t>(INT_MAX) ? INT_MAX : static_cast<int>(len);
  int n = recv(s, buf, piece, 0);
  return n == SOCKET_ERROR ? -1 : static_cast<long>(n);
}

void ShutdownSocket(NativeSocket s, ShutdownHow how) {
  if (how == ShutdownHow::kWrite) {
    shutdown(s, SD_SEND);
    return;
  }
  shutdown(s, SD_BOTH);
  // Unlike Linux's, Winsock's shutdown does not wake a thread blocked in
  // recv or send on the socket (nor one in WSAPoll): cancelling the
  // socket's pending I/O, whichever thread started it, does.
  CancelIoEx(reinterpret_cast<HANDLE>(s), nullptr);
}

}  // namespace berth::streaming
