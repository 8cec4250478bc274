// Windows build of container_internal.h's ContainerDevices
// (container_devices.cc is the Linux one). Device nodes, with their major and
// minor numbers and the device cgroup, are Linux-only; Windows assigns
// devices to a container by interface class through HCS. A container that
// asks for no device gets what Linux gives it: no device and the deny-all
// cgroup rule (the spec describes a Linux container either way).
#include "pkg/oci/container_internal.h"

namespace berth::oci::internal {

Result<DevicePlan> ContainerDevices(const runtime::v1::ContainerConfig& config,
                                    const std::string& who, const std::string& dev_dir) {
  if (config.linux().security_context().privileged()) {
    return Unimplemented(who + ": a privileged container gets every device node of the host's " +
                         dev_dir +
                         ", which is Linux-only; Windows assigns devices by interface class "
                         "through HCS");
  }
  if (config.devices_size() > 0) {
    return Unimplemented(who + ": devices[0].host_path " + config.devices(0).host_path() +
                         ": device nodes are Linux-only; Windows assigns devices by interface "
                         "class through HCS");
  }
  DevicePlan plan;
  plan.cgroup_rules.push_back({{"allow", false}, {"access", "rwm"}});
  return plan;
}

}  // namespace berth::oci::internal
