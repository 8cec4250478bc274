// Reaching a pod's port on Windows. The loopback is the same on Winsock: a
// non-blocking connect that WSAPoll waits for, 127.0.0.1 then ::1. A pod's
// own network is not a namespace there but an HNS compartment (or a
// Hyper-V isolated VM), and gVisor does not exist: those answer
// Unimplemented.
#include <winsock2.h>
#include <ws2tcpip.h>

#include "daemon/loopback_address.h"
#include "daemon/pod_dial.h"
#include "pkg/base/win32_error.h"

namespace berth::daemon {

namespace {
constexpr int kConnectTimeoutMs = 5000;
}  // namespace

Result<streaming::OwnedSocket> ConnectLoopback(uint16_t port) {
  streaming::EnsureWinsock();
  Status last = OkStatus();
  for (int family : {AF_INET, AF_INET6}) {
    streaming::OwnedSocket s(socket(family, SOCK_STREAM, IPPROTO_TCP));
    if (!s) return Unavailable("socket: " + win::Win32ErrorText(WSAGetLastError()));
    sockaddr_storage ss;
    const socklen_t len = LoopbackAddress(family, port, ss);
    const char* where = family == AF_INET ? "127.0.0.1" : "[::1]";
    u_long non_blocking = 1;
    ioctlsocket(s.get(), FIONBIO, &non_blocking);
    int err = 0;
    if (connect(s.get(), reinterpret_cast<sockaddr*>(&ss), len) != 0) {
      err = WSAGetLastError();
      if (err == WSAEWOULDBLOCK) {
        // A refused connect reports as POLLERR|POLLHUP, its cause in SO_ERROR.
        WSAPOLLFD p{s.get(), POLLWRNORM, 0};
        int n = WSAPoll(&p, 1, kConnectTimeoutMs);
        int el = sizeof err;
        if (n == 0) {
          err = WSAETIMEDOUT;
        } else if (getsockopt(s.get(), SOL_SOCKET, SO_ERROR, reinterpret_cast<char*>(&err), &el) !=
                   0) {
          err = WSAGetLastError();
        }
      }
    }
    if (err == 0) {
      u_long blocking = 0;  // the copier's send and recv block
      ioctlsocket(s.get(), FIONBIO, &blocking);
      return s;
    }
    last = Unavailable(std::string("connect ") + where + ":" + std::to_string(port) + ": " +
                       win::Win32ErrorText(err));
  }
  return last;
}

Result<streaming::OwnedSocket> ConnectInNetns(const std::string& netns_path, uint16_t) {
  return Unimplemented("entering network namespace " + netns_path +
                       " is Linux-only; on Windows a pod's network is an HNS compartment");
}

Result<streaming::OwnedSocket> ConnectThroughRuntime(const oci::OciRuntime&,
                                                     const std::string& sandbox_id, uint16_t) {
  return Unimplemented("dialling into sandbox " + sandbox_id +
                       " through its runtime's own network stack is Linux-only (gVisor)");
}

}  // namespace berth::daemon
