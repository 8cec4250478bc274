// The CNI request for a pod, the same for ADD (RunPodSandbox) and for DEL
// (StopPodSandbox, and restore's release of an interrupted pod): DEL falls
// back on the request's names and host ports when the CNI cache entry is
// missing or unusable, so it must carry what ADD carried.
#pragma once

#include <string>

#include "pkg/cni/types.h"
#include "runtime/v1/api.pb.h"

namespace berth::daemon {

// Pod `id` with its network namespace at `netns_path`: the metadata's name,
// namespace and UID, and every port mapping with a host port.
cni::PodNetworkRequest PodNetworkRequestFor(const std::string& id, const std::string& netns_path,
                                            const runtime::v1::PodSandboxConfig& config);

}  // namespace berth::daemon
