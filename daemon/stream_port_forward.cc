// Port-forward's dialer: a TCP connection to a port of a pod, made from
// inside the pod's network namespace (on the pod's loopback: 127.0.0.1, then
// ::1), or on the host for host-network pods. The socket keeps working after
// the thread that made it leaves the namespace, so berthd's copying happens
// anywhere.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <future>
#include <thread>

#include "daemon/server.h"

namespace berth::daemon {

namespace {

constexpr int kConnectTimeoutMs = 5000;

// Connects to `port` on the loopback of the calling thread's namespace.
Result<ScopedFd> ConnectLoopback(uint16_t port) {
  Status last = OkStatus();
  for (int family : {AF_INET, AF_INET6}) {
    ScopedFd s(socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!s) return ErrnoError("socket", errno);
    sockaddr_storage ss{};
    socklen_t len;
    if (family == AF_INET) {
      auto* a = reinterpret_cast<sockaddr_in*>(&ss);
      a->sin_family = AF_INET;
      a->sin_port = htons(port);
      a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      len = sizeof *a;
    } else {
      auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
      a->sin6_family = AF_INET6;
      a->sin6_port = htons(port);
      a->sin6_addr = in6addr_loopback;
      len = sizeof *a;
    }
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

}  // namespace

Result<ScopedFd> Server::DialPod(const streaming::StreamRequest& req, uint16_t port) {
  BERTH_ASSIGN_OR_RETURN(std::shared_ptr<Sandbox> sb, sandboxes_.Get(req.sandbox_id));
  const std::string what =
      "port-forward to port " + std::to_string(port) + " of pod sandbox " + sb->id;
  if (sandboxes_.Read([&] { return sb->state; }) != runtime::v1::SANDBOX_READY) {
    return FailedPrecondition(what + ": the pod is not ready");
  }
  auto named = [&](Result<ScopedFd> r) -> Result<ScopedFd> {
    if (!r.ok()) return r.status().WithContext(what);
    return r;
  };
  // A runtime with a network stack of its own (gVisor) reaches the pod's
  // loopback itself; the pod's namespace on the host does not lead there.
  if (const oci::OciRuntime runtime = RuntimeFor(*sb); runtime.OwnsPodLoopback()) {
    return named(runtime.DialPodLoopback(sb->id, port));
  }
  if (sb->netns_path.empty()) return named(ConnectLoopback(port));
  ScopedFd ns(open(sb->netns_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!ns) return ErrnoError(what + ": open " + sb->netns_path, errno);
  // A thread of its own enters the namespace (setns changes only the calling
  // thread) and ends there, so no berthd thread is ever left in a pod.
  std::promise<Result<ScopedFd>> done;
  std::thread([&] {
    if (setns(ns.get(), CLONE_NEWNET) != 0) {
      done.set_value(ErrnoError("setns " + sb->netns_path, errno));
      return;
    }
    done.set_value(ConnectLoopback(port));
  }).join();
  return named(done.get_future().get());
}

}  // namespace berth::daemon
