#include "pkg/oci/spec_defaults.h"

#include "pkg/oci/sandbox_spec.h"

namespace berth::oci {

const std::vector<std::string>& DefaultMaskedPaths() {
  static const std::vector<std::string> kPaths = {"/proc/acpi",
                                                  "/proc/asound",
                                                  "/proc/kcore",
                                                  "/proc/keys",
                                                  "/proc/latency_stats",
                                                  "/proc/timer_list",
                                                  "/proc/timer_stats",
                                                  "/proc/sched_debug",
                                                  "/proc/scsi",
                                                  "/sys/firmware",
                                                  "/sys/devices/virtual/powercap"};
  return kPaths;
}

const std::vector<std::string>& DefaultReadonlyPaths() {
  static const std::vector<std::string> kPaths = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                                                  "/proc/sysrq-trigger"};
  return kPaths;
}

nlohmann::json MountEntry(const std::string& dest, const std::string& type,
                          const std::string& source, std::vector<std::string> options) {
  return nlohmann::json{
      {"destination", dest}, {"type", type}, {"source", source}, {"options", options}};
}

std::vector<nlohmann::json> PodRuntimeMounts(const PodMountsOptions& o) {
  std::vector<nlohmann::json> mounts;
  mounts.push_back(MountEntry("/proc", "proc", "proc", {"nosuid", "noexec", "nodev"}));
  mounts.push_back(
      MountEntry("/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}));
  mounts.push_back(
      MountEntry("/dev/pts", "devpts", "devpts",
                 {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}));
  if (!o.shm_path.empty()) {
    mounts.push_back(
        MountEntry("/dev/shm", "bind", o.shm_path, {"rbind", "nosuid", "noexec", "nodev"}));
  } else {
    mounts.push_back(MountEntry("/dev/shm", "tmpfs", "shm",
                                {"nosuid", "noexec", "nodev", "mode=1777", "size=67108864"}));
  }
  if (o.own_ipc_ns) {
    mounts.push_back(MountEntry("/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}));
  }
  if (o.own_net_ns) {
    mounts.push_back(
        MountEntry("/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", o.sys_mode}));
  } else {
    // A fresh sysfs shows the mounter's network namespace; with the host's
    // network the kernel refuses one, so the host's is bound.
    mounts.push_back(
        MountEntry("/sys", "bind", "/sys", {"rbind", "nosuid", "noexec", "nodev", o.sys_mode}));
  }
  return mounts;
}

Result<int> ClampOomScoreAdj(int wanted, bool clamp, std::optional<int> own) {
  if (!clamp) return wanted;
  int floor;
  if (own) {
    floor = *own;
  } else {
    BERTH_ASSIGN_OR_RETURN(floor, ReadOwnOomScoreAdj());
  }
  return wanted < floor ? floor : wanted;
}

}  // namespace berth::oci
