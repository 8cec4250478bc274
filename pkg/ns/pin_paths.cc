// What of pinned_namespaces.h is the same on every system: where pins live,
// and unpinning a pod's set one by one.
#include "pkg/ns/pinned_namespaces.h"

namespace berth::ns {

std::string PinPath(const std::string& runroot, const std::string& kind,
                    const std::string& pod_id) {
  return runroot + "/ns/" + kind + "/" + pod_id;
}

Status UnpinNamespaces(const PinnedPaths& paths) {
  Status first;
  for (const std::string* p : {&paths.net, &paths.ipc, &paths.uts}) {
    Status st = UnpinNamespace(*p);
    if (first.ok() && !st.ok()) first = st;
  }
  return first;
}

}  // namespace berth::ns
