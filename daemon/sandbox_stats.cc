// PodSandboxStats and ListPodSandboxStats: the pod's cgroup, network and
// processes, and its running containers (stats_collector.h).
//
// The list has ready pods only: a stopped pod has no processes, network or
// running containers left to measure. PodSandboxStats answers for a pod in
// either state with what exists for it.
#include <map>

#include "daemon/server.h"
#include "daemon/stats_collector.h"

namespace berth::daemon {

namespace rt = runtime::v1;

namespace {

// What a pod's stats need from the stores, copied under their locks.
struct PodView {
  std::shared_ptr<Sandbox> sandbox;
  int infra_pid = 0;
  std::vector<std::shared_ptr<Container>> running;
};

// Adds each chosen pod's running containers.
void AddRunningContainers(const ContainerStore& store, std::vector<PodView>* pods) {
  std::map<std::string, PodView*> by_id;
  for (PodView& p : *pods) by_id[p.sandbox->id] = &p;
  std::vector<std::shared_ptr<Container>> all = store.List();
  store.Read([&] {
    for (const auto& c : all) {
      if (c->state != rt::CONTAINER_RUNNING || !c->stage.empty()) continue;
      if (auto it = by_id.find(c->sandbox_id); it != by_id.end()) it->second->running.push_back(c);
    }
  });
}

}  // namespace

Status Server::PodSandboxStats(const rt::PodSandboxStatsRequest& req,
                               rt::PodSandboxStatsResponse* resp) {
  if (req.pod_sandbox_id().empty()) return InvalidArgument("pod_sandbox_id is required");
  BERTH_ASSIGN_OR_RETURN(std::shared_ptr<Sandbox> s, sandboxes_.Get(req.pod_sandbox_id()));
  std::vector<PodView> pods(1);
  pods[0].sandbox = s;
  std::string stage = sandboxes_.Read([&] {
    pods[0].infra_pid = s->pid;
    return s->stage;
  });
  if (!stage.empty()) {
    return NotFound("pod sandbox " + s->id + " is still being created (stage: " + stage + ")");
  }
  AddRunningContainers(containers_, &pods);
  stats_->FillPod(*s, pods[0].infra_pid, pods[0].running, resp->mutable_stats());
  return OkStatus();
}

Status Server::ListPodSandboxStats(const rt::ListPodSandboxStatsRequest& req,
                                   rt::ListPodSandboxStatsResponse* resp) {
  // ListPodSandbox picks them (ID prefix, labels), ready only.
  rt::ListPodSandboxRequest list;
  list.mutable_filter()->set_id(req.filter().id());
  *list.mutable_filter()->mutable_label_selector() = req.filter().label_selector();
  list.mutable_filter()->mutable_state()->set_state(rt::SANDBOX_READY);
  rt::ListPodSandboxResponse listed;
  BERTH_RETURN_IF_ERROR(ListPodSandbox(list, &listed));
  std::vector<PodView> pods;
  for (const rt::PodSandbox& entry : listed.items()) {
    Result<std::shared_ptr<Sandbox>> s = sandboxes_.Get(entry.id());
    if (!s.ok()) continue;  // removed since it was listed
    pods.push_back(PodView{*s, sandboxes_.Read([&] { return (*s)->pid; }), {}});
  }
  AddRunningContainers(containers_, &pods);
  for (const PodView& p : pods) {
    stats_->FillPod(*p.sandbox, p.infra_pid, p.running, resp->add_stats());
  }
  return OkStatus();
}

}  // namespace berth::daemon
