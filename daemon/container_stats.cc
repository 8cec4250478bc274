// ContainerStats and ListContainerStats: figures from cgroupfs files and the
// disk sampler's last measurement (stats_collector.h), never a runtime call.
//
// The list has running containers only, as containerd's (a task's metrics)
// and what the kubelet asks about: a created container has used nothing yet
// and an exited one's cgroup is gone. ContainerStats answers for a container
// in any state with what exists for it.
#include "daemon/server.h"
#include "daemon/stats_collector.h"

namespace berth::daemon {

namespace rt = runtime::v1;

Status Server::ContainerStats(const rt::ContainerStatsRequest& req,
                              rt::ContainerStatsResponse* resp) {
  BERTH_ASSIGN_OR_RETURN(std::shared_ptr<Container> c, CreatedContainer(req.container_id()));
  stats_->FillContainer(*c, resp->mutable_stats());
  return OkStatus();
}

Status Server::ListContainerStats(const rt::ListContainerStatsRequest& req,
                                  rt::ListContainerStatsResponse* resp) {
  // ListContainers picks them (ID prefix, pod prefix, labels), running only.
  rt::ListContainersRequest list;
  rt::ContainerFilter* f = list.mutable_filter();
  f->set_id(req.filter().id());
  f->set_pod_sandbox_id(req.filter().pod_sandbox_id());
  *f->mutable_label_selector() = req.filter().label_selector();
  f->mutable_state()->set_state(rt::CONTAINER_RUNNING);
  rt::ListContainersResponse listed;
  BERTH_RETURN_IF_ERROR(ListContainers(list, &listed));
  for (const rt::Container& entry : listed.containers()) {
    Result<std::shared_ptr<Container>> c = containers_.Get(entry.id());
    if (!c.ok()) continue;  // removed since it was listed
    stats_->FillContainer(**c, resp->add_stats());
  }
  return OkStatus();
}

}  // namespace berth::daemon
