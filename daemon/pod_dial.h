// How berthd reaches a port inside a pod for port-forward
// (stream_port_forward.cc): on the loopback of its own network, inside the
// pod's network namespace, or through a runtime with a network stack of its
// own. Linux in pod_dial.cc; on Windows (windows/pod_dial_windows.cc) only
// the loopback, since a pod's network there is an HNS compartment, not a
// namespace.
#pragma once

#include <cstdint>
#include <string>

#include "pkg/base/status.h"
#include "pkg/oci/runtime_cli.h"
#include "pkg/streaming/socket.h"

namespace berth::daemon {

// Connects to `port` on the loopback of the calling thread's network
// (127.0.0.1, then ::1).
Result<streaming::OwnedSocket> ConnectLoopback(uint16_t port);

// Connects to `port` on the loopback of the network namespace at
// `netns_path`; no berthd thread is left in it.
Result<streaming::OwnedSocket> ConnectInNetns(const std::string& netns_path, uint16_t port);

// Through `runtime` (OwnsPodLoopback runtimes: gVisor), into sandbox
// `sandbox_id`.
Result<streaming::OwnedSocket> ConnectThroughRuntime(const oci::OciRuntime& runtime,
                                                     const std::string& sandbox_id, uint16_t port);

}  // namespace berth::daemon
