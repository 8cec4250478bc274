// Pod cgroup limits on Windows (pod_resources.cc is the Linux one): cgroups
// are Linux-only. A Windows pod's CPU and memory limits are job object limits
// that HCS sets on the pod's utility VM or container, not files to write.
#include "pkg/cgroups/pod_resources.h"

namespace berth::cgroups {

Result<Layout> DetectLayout() {
  return Unimplemented(
      "cgroup layout of this node: cgroups are Linux-only; on Windows pod limits are job "
      "object limits set through HCS");
}

Status ApplyResources(const Layout&, const std::string& path, const Resources&) {
  return Unimplemented("pod cgroup " + path.substr(0, 256) +
                       ": cgroups are Linux-only; on Windows pod limits are job object limits "
                       "set through HCS");
}

}  // namespace berth::cgroups
