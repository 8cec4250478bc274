// Windows build of gvisor_port_forward.h (gvisor_port_forward.cc is the
// Linux one): gVisor pods, and so their relay, exist only on Linux. On
// Windows a pod's ports are reached in its HNS network compartment.
#include "pkg/oci/gvisor_port_forward.h"

#include "pkg/oci/gvisor_shim.h"  // FindBerthHelper

namespace berth::oci {

std::string FindGvisorPortRelay() {
  return FindBerthHelper(kGvisorPortRelayName, "BERTH_PORT_RELAY");
}

Status InstallGvisorPortRelay(const std::string& infra_rootfs) {
  return Unimplemented("install " + std::string(kGvisorPortRelayName) + " in " + infra_rootfs +
                       ": gVisor pods are Linux-only; Windows runs pods through HCS");
}

Result<ScopedFd> DialThroughPortRelay(const std::vector<std::string>& exec_argv,
                                      std::chrono::milliseconds /*timeout*/) {
  return Unimplemented("port-forward through " +
                       (exec_argv.empty() ? std::string(kGvisorPortRelayName) : exec_argv[0]) +
                       ": gVisor's port relay is Linux-only; on Windows a pod's ports are "
                       "reached in its HNS network compartment");
}

}  // namespace berth::oci
