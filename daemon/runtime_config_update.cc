// UpdateRuntimeConfig: the kubelet hands over the node's pod CIDR (the only
// runtime config the CRI carries); PodCidrKeeper records it and renders the
// pod network from it.
#include "daemon/pod_cidr_keeper.h"
#include "daemon/server.h"

namespace berth::daemon {

Status Server::UpdateRuntimeConfig(const runtime::v1::UpdateRuntimeConfigRequest& req,
                                   runtime::v1::UpdateRuntimeConfigResponse*) {
  return pod_cidr_->Update(req.runtime_config().network_config().pod_cidr());
}

}  // namespace berth::daemon
