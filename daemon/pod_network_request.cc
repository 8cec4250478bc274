#include "daemon/pod_network_request.h"

namespace berth::daemon {

namespace rt = runtime::v1;

cni::PodNetworkRequest PodNetworkRequestFor(const std::string& id, const std::string& netns_path,
                                            const rt::PodSandboxConfig& config) {
  cni::PodNetworkRequest net;
  net.container_id = id;
  net.netns_path = netns_path;
  net.pod_name = config.metadata().name();
  net.pod_namespace = config.metadata().namespace_();
  net.pod_uid = config.metadata().uid();
  for (const auto& p : config.port_mappings()) {
    if (p.host_port() == 0) continue;
    std::string proto = p.protocol() == rt::UDP ? "udp" : p.protocol() == rt::SCTP ? "sctp" : "tcp";
    net.port_mappings.push_back({p.host_port(), p.container_port(), proto, p.host_ip()});
  }
  return net;
}

}  // namespace berth::daemon
