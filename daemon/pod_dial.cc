// Reaching a pod's port on Linux: a non-blocking connect on the loopback,
// in the pod's network namespace entered by a thread of its own.
#include "daemon/pod_dial.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <future>
#include <thread>

#include "daemon/loopback_address.h"

namespace berth::daemon {

namespace {
constexpr int kConnectTimeoutMs = 5000;
}  // namespace

Result<streaming::OwnedSocket> ConnectLoopback(uint16_t port) {
  Status last = OkStatus();
  for (int family : {AF_INET, AF_INET6}) {
    ScopedFd s(socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!s) return ErrnoError("socket", errno);
    sockaddr_storage ss;
    const socklen_t len = LoopbackAddress(family, port, ss);
    const char* where = family == AF_INET ? "127.0.0.1" : "[::1]";
    int rc = connect(s.get(), reinterpret_cast<sockaddr*>(&ss), len);
    int err = rc == 0 ? 0 : errno;
    if (err == EINPROGRESS) {
      pollfd p{s.get(), POLLOUT, 0};
      int n = poll(&p, 1, kConnectTimeoutMs);
      socklen_t el = sizeof err;
      if (n == 0) {
        err = ETIMEDOUT;
      } else if (getsockopt(s.get(), SOL_SOCKET, SO_ERROR, &err, &el) != 0) {
        err = errno;
      }
    }
    if (err == 0) {
      int flags = fcntl(s.get(), F_GETFL);
      fcntl(s.get(), F_SETFL, flags & ~O_NONBLOCK);
      return s;
    }
    last = ErrnoError(std::string("connect ") + where + ":" + std::to_string(port), err);
  }
  return last;
}

Result<streaming::OwnedSocket> ConnectInNetns(const std::string& netns_path, uint16_t port) {
  ScopedFd ns(open(netns_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!ns) return ErrnoError("open " + netns_path, errno);
  // A thread of its own enters the namespace (setns changes only the calling
  // thread) and ends there, so no berthd thread is ever left in a pod.
  std::promise<Result<ScopedFd>> done;
  std::thread([&] {
    if (setns(ns.get(), CLONE_NEWNET) != 0) {
      done.set_value(ErrnoError("setns " + netns_path, errno));
      return;
    }
    done.set_value(ConnectLoopback(port));
  }).join();
  return done.get_future().get();
}

Result<streaming::OwnedSocket> ConnectThroughRuntime(const oci::OciRuntime& runtime,
                                                     const std::string& sandbox_id, uint16_t port) {
  return runtime.DialPodLoopback(sandbox_id, port);
}

}  // namespace berth::daemon
