// The live node's cgroups on Windows (host_cgroups_probe.cc is the Linux
// one): cgroups are a Linux kernel feature, so a Windows host has no
// hierarchy and offers containers no cgroup controller. That is the true
// answer, the same one host_cgroups.h gives for a Linux node without cgroups;
// Windows containers' limits are job object limits that HCS sets.
#include "pkg/cgroups/host_cgroups.h"

namespace berth::cgroups {

HostCgroups ProbeHostCgroups() {
  return HostCgroups{};
}

}  // namespace berth::cgroups
