// Pinned namespaces: a pod's network, IPC and UTS namespaces kept alive as
// bind-mounted files (<runroot>/ns/<kind>/<pod-id>), so they outlive every
// process of the pod and can be joined by path (runtime spec, CNI).
//
// The namespaces are created by a short-lived child (fork + unshare) that
// also brings up the loopback interface in a new network namespace; the
// parent bind-mounts /proc/<child>/ns/<kind> onto the file and lets the child
// exit. <runroot>/ns is made a shared mount point (as `ip netns` does with
// /run/netns) so an unmount reaches copies in other mount namespaces.
#pragma once

#include <string>

#include "pkg/base/status.h"

namespace berth::ns {

struct PinRequest {
  bool net = false;
  bool ipc = false;
  bool uts = false;
  // Set in the new UTS namespace (only with uts); validated as a hostname.
  std::string hostname;
};

// Paths of the pinned files; empty for a kind that was not pinned.
struct PinnedPaths {
  std::string net;
  std::string ipc;
  std::string uts;
};

// Where a pod's namespace of `kind` ("net", "ipc", "uts") is pinned.
std::string PinPath(const std::string& runroot, const std::string& kind, const std::string& pod_id);

// Creates and pins the requested namespaces. On failure nothing stays pinned.
// InvalidArgument for a pod ID that is not [A-Za-z0-9_-]{1,128} or a bad
// hostname; AlreadyExists when a pin file for the pod exists already.
Result<PinnedPaths> PinNamespaces(const std::string& runroot, const std::string& pod_id,
                                  const PinRequest& request);

// Unmounts and removes one pinned file. A path that is not mounted or does
// not exist is fine (idempotent); an empty path is a no-op.
Status UnpinNamespace(const std::string& path);

// Unpins every non-empty path of `paths`; returns the first error after
// trying all of them.
Status UnpinNamespaces(const PinnedPaths& paths);

}  // namespace berth::ns
