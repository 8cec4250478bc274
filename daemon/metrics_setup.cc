// The daemon's side of the metrics: pods and containers by state read at each
// scrape, CNI timings, and the endpoint when metrics.address is set. (RPC
// figures come from the interceptor, pulls from the image manager, OOM kills
// from container_exit.cc, restore time from restore.cc.)
#include <spdlog/spdlog.h>

#include <map>

#include "daemon/image_manager.h"
#include "daemon/server.h"
#include "pkg/metrics/daemon_metrics.h"
#include "pkg/metrics/gauge_collector.h"
#include "pkg/metrics/metrics_endpoint.h"

namespace berth::daemon {
namespace {

namespace rt = runtime::v1;

// Every state, so a scrape shows 0 rather than no series.
template <typename Object, typename State>
std::map<std::string, double> CountByState(const ObjectStore<Object>& store,
                                           const std::map<State, std::string>& names) {
  std::map<std::string, double> counts;
  for (const auto& [_, name] : names) counts[name] = 0;
  const auto objects = store.List();
  store.Read([&] {
    for (const auto& o : objects) counts[names.at(o->state)] += 1;
  });
  return counts;
}

const std::map<rt::PodSandboxState, std::string> kSandboxStates = {
    {rt::SANDBOX_READY, "ready"}, {rt::SANDBOX_NOTREADY, "notready"}};
const std::map<rt::ContainerState, std::string> kContainerStates = {
    {rt::CONTAINER_CREATED, "created"},
    {rt::CONTAINER_RUNNING, "running"},
    {rt::CONTAINER_EXITED, "exited"},
    {rt::CONTAINER_UNKNOWN, "unknown"}};

}  // namespace

Status Server::StartMetrics() {
  metrics_->AddCollectable(std::make_shared<metrics::GaugeCollector>(
      "berth_pod_sandboxes", "Pod sandboxes berthd holds, by state", "state",
      [this] { return CountByState(sandboxes_, kSandboxStates); }));
  metrics_->AddCollectable(std::make_shared<metrics::GaugeCollector>(
      "berth_containers", "Containers berthd holds, by state", "state",
      [this] { return CountByState(containers_, kContainerStates); }));
  images_->SetMetrics(metrics_.get());
  network_->SetOperationObserver(
      [m = metrics_](std::string_view operation, bool ok, double seconds) {
        m->RecordCniOperation(operation, ok, seconds);
      });
  if (config_.metrics.address.empty()) return OkStatus();
  BERTH_ASSIGN_OR_RETURN(metrics_endpoint_,
                         metrics::MetricsEndpoint::Start(config_.metrics.address, metrics_));
  spdlog::info("metrics served on http://{}/metrics (port {})", config_.metrics.address,
               metrics_endpoint_->port());
  return OkStatus();
}

std::string Server::RuntimeHandlerOf(const std::string& pod_id,
                                     const std::string& container_id) const {
  // runtime_name is fixed at creation: no store lock is needed to read it.
  if (!container_id.empty()) {
    Result<std::shared_ptr<Container>> c = containers_.Get(container_id);
    return c.ok() ? (*c)->runtime_name : "";
  }
  Result<std::shared_ptr<Sandbox>> s = sandboxes_.Get(pod_id);
  return s.ok() ? (*s)->runtime_name : "";
}

}  // namespace berth::daemon
