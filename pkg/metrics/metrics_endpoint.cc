#include "pkg/metrics/metrics_endpoint.h"

#include <prometheus/exposer.h>

#include <exception>

namespace berth::metrics {

Result<std::unique_ptr<MetricsEndpoint>> MetricsEndpoint::Start(
    const std::string& address, std::shared_ptr<prometheus::Collectable> collectable) {
  std::unique_ptr<MetricsEndpoint> endpoint(new MetricsEndpoint());
  endpoint->collectable_ = std::move(collectable);
  // The Exposer reports a failure to listen by throwing (civetweb's
  // CivetException); exceptions stop here.
  try {
    // One thread: scrapes are rare and the collectables are quick.
    endpoint->exposer_ = std::make_unique<prometheus::Exposer>(
        std::vector<std::string>{"listening_ports", address, "num_threads", "1"});
  } catch (const std::exception& e) {
    return Unavailable("metrics.address \"" + address + "\": cannot listen: " + e.what());
  }
  endpoint->exposer_->RegisterCollectable(endpoint->collectable_);
  std::vector<int> ports = endpoint->exposer_->GetListeningPorts();
  if (ports.empty()) return Internal("metrics.address \"" + address + "\": no listening port");
  endpoint->port_ = ports.front();
  return endpoint;
}

MetricsEndpoint::~MetricsEndpoint() = default;

}  // namespace berth::metrics
