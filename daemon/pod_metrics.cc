// ListMetricDescriptors and ListPodSandboxMetrics: the pod stats
// (sandbox_stats.cc, one reading of each cgroup) restated as cAdvisor
// metrics (pod_metrics_cadvisor.h).
#include "daemon/pod_metrics_cadvisor.h"
#include "daemon/server.h"

namespace berth::daemon {

namespace rt = runtime::v1;

Status Server::ListMetricDescriptors(const rt::ListMetricDescriptorsRequest&,
                                     rt::ListMetricDescriptorsResponse* resp) {
  for (rt::MetricDescriptor& d : CadvisorDescriptors()) *resp->add_descriptors() = std::move(d);
  return OkStatus();
}

Status Server::ListPodSandboxMetrics(const rt::ListPodSandboxMetricsRequest&,
                                     rt::ListPodSandboxMetricsResponse* resp) {
  rt::ListPodSandboxStatsResponse stats;
  BERTH_RETURN_IF_ERROR(ListPodSandboxStats({}, &stats));
  std::map<std::string, std::string> images;
  for (const auto& c : containers_.List()) images[c->id] = c->image_name;
  for (const rt::PodSandboxStats& pod : stats.stats()) {
    *resp->add_pod_metrics() = CadvisorMetrics(pod, images);
  }
  return OkStatus();
}

}  // namespace berth::daemon
