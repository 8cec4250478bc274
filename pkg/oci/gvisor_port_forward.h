// Port-forward into a gVisor pod: the pod's loopback belongs to gVisor's own
// network stack, which a socket made in the pod's network namespace on the
// host's kernel never reaches. berth-port-relay (gvisor_port_relay.c), a
// static program copied into the pod's infra rootfs when the pod is made,
// is run there with `runsc exec` for each connection; berthd talks to it over
// a socketpair. OciRuntime::PrepareInfraRootfs and OciRuntime::DialPodLoopback
// are the per-runtime hooks that use this.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "pkg/base/status.h"
#include "pkg/fs/scoped_fd.h"

namespace berth::oci {

inline constexpr char kGvisorPortRelayName[] = "berth-port-relay";
// Where the relay sits in the infra container's rootfs.
inline constexpr char kGvisorPortRelayInPod[] = "/.berth-port-relay";

// The relay binary (FindBerthHelper, $BERTH_PORT_RELAY).
std::string FindGvisorPortRelay();

// Copies the relay into `infra_rootfs`; FailedPrecondition when berth's relay
// is not installed.
Status InstallGvisorPortRelay(const std::string& infra_rootfs);

// Runs `exec_argv` (a `runsc exec` of the relay) with a socketpair on its
// stdin and stdout, waits up to `timeout` for the relay to say it connected,
// and returns berthd's end of the pair. The runtime process is reaped in the
// background once the connection ends. A refused connection is Unavailable,
// with the relay's message.
Result<ScopedFd> DialThroughPortRelay(const std::vector<std::string>& exec_argv,
                                      std::chrono::milliseconds timeout);

}  // namespace berth::oci
