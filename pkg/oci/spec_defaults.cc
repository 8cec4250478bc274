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
