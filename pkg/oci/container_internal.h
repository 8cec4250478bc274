// Helpers shared by the container_*.cc files that build a container's spec.
// Not a public interface: the daemon uses container_spec.h.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "pkg/base/status.h"
#include "pkg/oci/container_spec.h"

namespace berth::oci::internal {

// "container \"web\"": the prefix of every error about one container.
std::string Who(const std::string& name);

// Absolute, no "." / ".." / empty components, no trailing '/', no control
// characters: a path that means what it says.
bool IsCleanAbsolutePath(std::string_view path);

// A uid/gid from the CRI: within [0, 2^32-2] (-1 as uid_t means "unchanged").
Result<uint32_t> CheckId(int64_t value, const std::string& who, const std::string& field);

// Which Linux security modules this host enforces.
struct HostSecurity {
  bool apparmor = false;
  bool selinux = false;
};
HostSecurity DetectHostSecurity();

// ValidateContainerConfig with the host's LSM state given.
Status ValidateContainerConfigOn(const runtime::v1::ContainerConfig& config, const PodContext& pod,
                                 const HostSecurity& host);

// The AppArmor profile for process.apparmorProfile ("" = leave unset).
Result<std::string> AppArmorProfile(const runtime::v1::ContainerConfig& config,
                                    const HostSecurity& host);

// Mount propagation of the mount holding `path` (already resolved, no
// symlinks) per the mountinfo file: "shared", "slave" or "private".
Result<std::string> PropagationOf(const std::string& path, const std::string& mountinfo_path);

// The mounts of the spec, and what linux.rootfsPropagation must be ("" =
// unset) for the CRI mounts' propagation to work.
struct MountPlan {
  nlohmann::json mounts = nlohmann::json::array();
  std::string rootfs_propagation;
};
Result<MountPlan> ContainerMounts(const ContainerSpecOptions& options);

// linux.devices and the linux.resources.devices cgroup rules.
struct DevicePlan {
  nlohmann::json devices = nlohmann::json::array();
  nlohmann::json cgroup_rules = nlohmann::json::array();
};
// `dev_dir` is where a privileged container's host devices are listed from.
Result<DevicePlan> ContainerDevices(const runtime::v1::ContainerConfig& config,
                                    const std::string& who, const std::string& dev_dir = "/dev");

}  // namespace berth::oci::internal

namespace berth::oci::internal {

// process.selinuxLabel for the CRI selinux_options ("" = leave unset: none
// given, or SELinux off on this host, where the options are ignored).
std::string SelinuxLabel(const runtime::v1::ContainerConfig& config, const HostSecurity& host);

}  // namespace berth::oci::internal
