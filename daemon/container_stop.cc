// StopContainer: the image's stop signal (default SIGTERM), then SIGKILL once
// the CRI timeout has passed. A stopped container stays stopped; stopping an
// unknown one succeeds, as CRI asks of every stop.
#include <spdlog/spdlog.h>

#include <thread>

#include "daemon/crash_point.h"
#include "daemon/server.h"
#include "pkg/oci/linux_signals.h"

namespace berth::daemon {

namespace rt = runtime::v1;

namespace {
// After SIGKILL the kernel ends the process at once; this only bounds a
// runtime or conmon that fails to report it.
constexpr auto kKillGrace = std::chrono::seconds(10);
}  // namespace

Status Server::StopContainerLocked(Container& c, std::chrono::seconds timeout) {
  rt::ContainerState state = containers_.Read([&] { return c.state; });
  if (state != rt::CONTAINER_RUNNING) return OkStatus();
  oci::OciRuntime runtime = RuntimeFor(c);
  // 1. The polite signal, unless the caller allows no time at all.
  if (timeout.count() > 0) {
    Status s = runtime.Kill(c.id, c.stop_signal);
    if (!s.ok() && s.code() != Code::kNotFound) return s.WithContext("container " + c.name);
    BERTH_CRASH_POINT("container-stop/after-signal");
    Result<oci::ExitInfo> exited = oci::WaitExitFile(ExitDir(), c.id, timeout);
    if (exited.ok()) {
      RecordContainerExit(c, *exited);
      return PersistContainerState(c);
    }
    spdlog::info("container {} did not stop within {}s of signal {}; killing", c.id,
                 timeout.count(), c.stop_signal);
  }
  // 2. SIGKILL to every process of the container.
  Status k = runtime.Kill(c.id, oci::linux_signal::kKill, true);
  if (!k.ok() && k.code() != Code::kNotFound) return k.WithContext("container " + c.name);
  Result<oci::ExitInfo> exited = oci::WaitExitFile(ExitDir(), c.id, kKillGrace);
  if (!exited.ok()) return exited.status().WithContext("container " + c.name + ": after SIGKILL");
  RecordContainerExit(c, *exited);
  return PersistContainerState(c);
}

Status Server::StopContainer(const rt::StopContainerRequest& req, rt::StopContainerResponse*) {
  if (req.container_id().empty()) return InvalidArgument("container_id is required");
  if (req.timeout() < 0) return InvalidArgument("timeout may not be negative");
  Result<std::shared_ptr<Container>> c = containers_.Get(req.container_id());
  if (!c.ok()) {
    if (c.status().code() == Code::kNotFound) return OkStatus();
    return c.status();
  }
  std::lock_guard<std::mutex> op((*c)->op_mu);
  BERTH_RETURN_IF_ERROR(StopContainerLocked(**c, std::chrono::seconds(req.timeout())));
  return platform_hooks_->OnStopped((*c)->id, (*c)->platform_annotations);
}

std::vector<std::shared_ptr<Container>> Server::ContainersOf(const std::string& sandbox_id) const {
  std::vector<std::shared_ptr<Container>> out;
  for (auto& c : containers_.List()) {
    if (c->sandbox_id == sandbox_id) out.push_back(std::move(c));
  }
  return out;
}

Status Server::StopContainersOf(const std::string& sandbox_id) {
  // In parallel: a pod's grace period is one grace, not one per container.
  // The kubelet stops containers with their own grace before the pod; what
  // is left gets the default CRI grace.
  std::vector<std::shared_ptr<Container>> all = ContainersOf(sandbox_id);
  std::vector<Status> results(all.size());
  std::vector<std::thread> workers;
  workers.reserve(all.size());
  for (size_t i = 0; i < all.size(); ++i) {
    workers.emplace_back([&, i] {
      std::lock_guard<std::mutex> op(all[i]->op_mu);
      results[i] = StopContainerLocked(*all[i], std::chrono::seconds(10));
      if (results[i].ok())
        results[i] = platform_hooks_->OnStopped(all[i]->id, all[i]->platform_annotations);
    });
  }
  for (auto& w : workers) w.join();
  for (const Status& s : results) BERTH_RETURN_IF_ERROR(s);
  return OkStatus();
}

}  // namespace berth::daemon
