// The live node's cgroups, from /proc/self/mountinfo (host_cgroups_probe_windows.cc
// is the Windows answer).
#include "pkg/cgroups/host_cgroups.h"

namespace berth::cgroups {

HostCgroups ProbeHostCgroups() {
  Result<std::vector<MountInfo>> mounts = ReadMountInfo();
  if (!mounts.ok()) return HostCgroups{};
  return ProbeHostCgroups(*mounts);
}

}  // namespace berth::cgroups
