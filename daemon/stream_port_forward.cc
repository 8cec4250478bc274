// Port-forward's dialer: a TCP connection to a port of a pod, made from
// inside the pod's network namespace (on the pod's loopback: 127.0.0.1, then
// ::1), or on the host for host-network pods. The socket keeps working after
// the thread that made it leaves the namespace, so berthd's copying happens
// anywhere. The connecting itself is the platform's (pod_dial.h).
#include "daemon/pod_dial.h"
#include "daemon/server.h"

namespace berth::daemon {

Result<streaming::OwnedSocket> Server::DialPod(const streaming::StreamRequest& req, uint16_t port) {
  BERTH_ASSIGN_OR_RETURN(std::shared_ptr<Sandbox> sb, sandboxes_.Get(req.sandbox_id));
  const std::string what =
      "port-forward to port " + std::to_string(port) + " of pod sandbox " + sb->id;
  if (sandboxes_.Read([&] { return sb->state; }) != runtime::v1::SANDBOX_READY) {
    return FailedPrecondition(what + ": the pod is not ready");
  }
  auto named = [&](Result<streaming::OwnedSocket> r) -> Result<streaming::OwnedSocket> {
    if (!r.ok()) return r.status().WithContext(what);
    return r;
  };
  // A runtime with a network stack of its own (gVisor) reaches the pod's
  // loopback itself; the pod's namespace on the host does not lead there.
  if (const oci::OciRuntime runtime = RuntimeFor(*sb); runtime.OwnsPodLoopback()) {
    return named(ConnectThroughRuntime(runtime, sb->id, port));
  }
  if (sb->netns_path.empty()) return named(ConnectLoopback(port));
  return named(ConnectInNetns(sb->netns_path, port));
}

}  // namespace berth::daemon
