// UpdatePodSandboxResources: the kubelet resized the pod. Write the new
// pod-level CPU and memory limits (containers' aggregate plus overhead) into
// the pod's cgroup, the one named by linux.cgroup_parent, and record them.
//
// Only CPU (shares/weight, CFS quota and period) and the memory limit are
// applied: those are what a pod cgroup carries; other fields are recorded.
#include <spdlog/spdlog.h>

#include "daemon/sandbox_validate.h"
#include "daemon/server.h"
#include "daemon/validate.h"
#include "pkg/cgroups/pod_resources.h"

namespace berth::daemon {

namespace rt = runtime::v1;

namespace {

// The pod cgroup holds the containers and the overhead, so its limits are the
// sum; an unlimited aggregate (0 or -1) stays unlimited.
cgroups::Resources PodLimits(const rt::LinuxContainerResources& res,
                             const rt::LinuxContainerResources& overhead) {
  cgroups::Resources r;
  r.cpu_shares = res.cpu_shares() > 0 ? res.cpu_shares() + overhead.cpu_shares() : 0;
  r.cpu_period = res.cpu_period();
  r.cpu_quota = res.cpu_quota();
  // Overhead quota is added only when it is measured against the same period.
  bool same_period = overhead.cpu_period() == 0 || overhead.cpu_period() == res.cpu_period();
  if (r.cpu_quota > 0 && overhead.cpu_quota() > 0 && same_period)
    r.cpu_quota += overhead.cpu_quota();
  r.memory_limit_bytes = res.memory_limit_in_bytes() > 0
                             ? res.memory_limit_in_bytes() + overhead.memory_limit_in_bytes()
                             : 0;
  return r;
}

}  // namespace

Status Server::UpdatePodSandboxResources(const rt::UpdatePodSandboxResourcesRequest& req,
                                         rt::UpdatePodSandboxResourcesResponse*) {
  // 1. Validate the request before touching anything.
  if (req.pod_sandbox_id().empty()) return InvalidArgument("pod_sandbox_id is required");
  BERTH_RETURN_IF_ERROR(CheckLinuxResources(req.overhead(), "overhead"));
  BERTH_RETURN_IF_ERROR(CheckLinuxResources(req.resources(), "resources"));
  BERTH_ASSIGN_OR_RETURN(std::shared_ptr<Sandbox> s, sandboxes_.Get(req.pod_sandbox_id()));
  std::lock_guard<std::mutex> op(s->op_mu);

  // 2. The pod's own cgroup: without a cgroup_parent the pod shares berth's
  // default parent with every other pod, which must not be limited for one.
  const std::string& parent = s->config.linux().cgroup_parent();
  if (parent.empty()) {
    return FailedPrecondition("pod sandbox " + s->id +
                              " has no cgroup of its own (linux.cgroup_parent is empty)");
  }
  BERTH_ASSIGN_OR_RETURN(std::string path, cgroups::PodCgroupPath(parent, SystemdCgroups()));
  BERTH_ASSIGN_OR_RETURN(cgroups::Layout layout, cgroups::DetectLayout());

  // 3. Apply, then record (state.json) what is now in force.
  cgroups::Resources limits = PodLimits(req.resources(), req.overhead());
  BERTH_RETURN_IF_ERROR(cgroups::ApplyResources(layout, path, limits)
                            .WithContext("pod sandbox " + s->id + ": pod cgroup " + path));
  spdlog::info(
      "pod sandbox {}: pod cgroup {} now cpu_shares={} cpu_quota={} cpu_period={} "
      "memory={}",
      s->id, path, limits.cpu_shares, limits.cpu_quota, limits.cpu_period,
      limits.memory_limit_bytes);
  sandboxes_.Write([&] {
    s->overhead = req.overhead();
    s->resources = req.resources();
  });
  return PersistSandboxState(*s);
}

}  // namespace berth::daemon
