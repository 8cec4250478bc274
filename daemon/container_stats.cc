// ContainerStats and ListContainerStats: figures from cgroupfs files and the
// disk sampler's last measurement (stats_collector.h), never a runtime call.
//
// The list has running containers only, as containerd's (a task's metrics)
// and what the kubelet asks about: a created container has used nothing yet
// and an exited one's cgroup is gone. ContainerStats answers for a container
// in any state with what exists for it.
#include "daemon/label_selector.h"
#include "daemon/server.h"
#include "daemon/stats_collector.h"

namespace berth::daemon {

namespace rt = runtime::v1;

Status Server::ContainerStats(const rt::ContainerStatsRequest& req,
                              rt::ContainerStatsResponse* resp) {
  if (req.container_id().empty()) return InvalidArgument("container_id is required");
  BERTH_ASSIGN_OR_RETURN(std::shared_ptr<Container> c, containers_.Get(req.container_id()));
  // Not there yet for clients (as ListContainers hides it) until created.
  if (std::string stage = containers_.Read([&] { return c->stage; }); !stage.empty()) {
    return NotFound("container " + c->id + " is still being created (stage: " + stage + ")");
  }
  stats_->FillContainer(*c, resp->mutable_stats());
  return OkStatus();
}

Status Server::ListContainerStats(const rt::ListContainerStatsRequest& req,
                                  rt::ListContainerStatsResponse* resp) {
  const rt::ContainerStatsFilter& f = req.filter();
  std::string id_filter, sandbox_filter;
  if (!f.id().empty()) {
    Result<std::shared_ptr<Container>> one = containers_.Get(f.id());
    if (!one.ok()) return OkStatus();  // a filter that matches nothing lists nothing
    id_filter = (*one)->id;
  }
  if (!f.pod_sandbox_id().empty()) {
    Result<std::shared_ptr<Sandbox>> pod = sandboxes_.Get(f.pod_sandbox_id());
    if (!pod.ok()) return OkStatus();
    sandbox_filter = (*pod)->id;
  }
  std::vector<std::shared_ptr<Container>> all = containers_.List();
  std::vector<std::shared_ptr<Container>> chosen;
  containers_.Read([&] {
    for (const auto& c : all) {
      if (c->state != rt::CONTAINER_RUNNING || !c->stage.empty()) continue;
      if (!id_filter.empty() && c->id != id_filter) continue;
      if (!sandbox_filter.empty() && c->sandbox_id != sandbox_filter) continue;
      if (!LabelsMatch(f.label_selector(), c->config.labels())) continue;
      chosen.push_back(c);
    }
  });
  // Files are read outside the store's lock.
  for (const auto& c : chosen) stats_->FillContainer(*c, resp->add_stats());
  return OkStatus();
}

}  // namespace berth::daemon
