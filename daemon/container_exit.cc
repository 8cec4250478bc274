// What happens when a container's process ends: the exit watcher (or a stop)
// reports conmon's exit file, and the container becomes EXITED with its exit
// code, finish time and reason.
#include <spdlog/spdlog.h>

#include <fstream>
#include <sstream>

#include "daemon/server.h"
#include "pkg/metrics/daemon_metrics.h"
#include "pkg/oci/runtime_kind.h"
#include "pkg/oci/sandbox_spec.h"

namespace berth::daemon {

namespace rt = runtime::v1;

namespace {

// The kernel's count of OOM kills in a memory cgroup: cgroup v1 reports it
// in memory.oom_control, v2 in memory.events (both as "oom_kill N").
bool CgroupSawOomKill(const std::string& cgroups_path) {
  for (const std::string& file : {"/sys/fs/cgroup/memory" + cgroups_path + "/memory.oom_control",
                                  "/sys/fs/cgroup" + cgroups_path + "/memory.events"}) {
    std::ifstream in(file);
    std::string key;
    long long value = 0;
    while (in >> key >> value) {
      if (key == "oom_kill") return value > 0;
    }
  }
  return false;
}

}  // namespace

bool Server::RecordContainerExit(Container& c, const oci::ExitInfo& exit) {
  if (containers_.Read([&] { return c.state == rt::CONTAINER_EXITED; })) return false;
  bool saw_oom_kill = false;
  const oci::RuntimeKind kind = containers_.Read([&] { return RuntimeFor(c).config().kind; });
  // Only the cgroupfs layout is known here; with systemd the scope is named
  // by the runtime.
  if (!SystemdCgroups()) {
    Result<std::shared_ptr<Sandbox>> pod = sandboxes_.Get(c.sandbox_id);
    std::string parent = pod.ok() ? (*pod)->config.linux().cgroup_parent() : "";
    Result<std::string> path = oci::SandboxCgroupsPath(
        oci::CgroupManager::kCgroupfs, parent, oci::OomCgroupOwnerId(kind, c.id, c.sandbox_id));
    saw_oom_kill = path.ok() && CgroupSawOomKill(*path);
  }
  const oci::OomVerdict verdict = oci::JudgeOomKill(kind, exit.exit_code, saw_oom_kill);
  const bool oom = verdict.oom_killed;
  const int64_t finished =
      std::chrono::duration_cast<std::chrono::nanoseconds>(exit.finished.time_since_epoch())
          .count();
  bool recorded = containers_.Write([&] {
    if (c.state == rt::CONTAINER_EXITED) return false;
    c.state = rt::CONTAINER_EXITED;
    c.exit_code = verdict.exit_code;
    c.finished_at_ns = finished;
    // A container that never ran reports no start; keep the order sane.
    if (c.started_at_ns == 0) c.started_at_ns = finished;
    c.pid = 0;
    if (oom) {
      c.reason = "OOMKilled";
      c.message = verdict.message;
    } else {
      c.reason = verdict.exit_code == 0 ? "Completed" : "Error";
    }
    return true;
  });
  if (recorded) {
    spdlog::info("container {} exited with {}{}", c.id, verdict.exit_code,
                 oom ? " (OOM killed)" : "");
    if (oom && metrics_) metrics_->RecordOomKill();
    // Every exit passes here: the exit watcher, a stop, restore.
    AnnounceContainer(c);
  }
  return recorded;
}

}  // namespace berth::daemon
