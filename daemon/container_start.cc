// StartContainer: the created container's process runs (conmon holds it).
#include <spdlog/spdlog.h>

#include "daemon/crash_point.h"
#include "daemon/object_ids.h"
#include "daemon/server.h"

namespace berth::daemon {

namespace rt = runtime::v1;

Status Server::StartContainer(const rt::StartContainerRequest& req, rt::StartContainerResponse*) {
  if (req.container_id().empty()) return InvalidArgument("container_id is required");
  BERTH_ASSIGN_OR_RETURN(std::shared_ptr<Container> c, containers_.Get(req.container_id()));
  std::lock_guard<std::mutex> op(c->op_mu);
  auto [state, stage] = containers_.Read([&] { return std::make_pair(c->state, c->stage); });
  if (!stage.empty()) {
    return FailedPrecondition("container " + c->id + " is still being created (stage: " + stage +
                              ")");
  }
  if (state == rt::CONTAINER_RUNNING) return OkStatus();  // already started: idempotent
  if (state != rt::CONTAINER_CREATED) {
    return FailedPrecondition("container " + c->id + " is not in the created state (it has " +
                              (state == rt::CONTAINER_EXITED ? "exited" : "an unknown state") +
                              ")");
  }
  // The start time is set first: a process that exits at once is recorded by
  // the exit watcher, which must see a start before the finish.
  containers_.Write([&] { c->started_at_ns = NowNs(); });
  // Recorded before the start: after a crash past this point restore asks
  // the runtime, and a running container keeps this start time.
  BERTH_RETURN_IF_ERROR(PersistContainerState(*c));
  BERTH_CRASH_POINT("container-start/before-start");
  if (Status s = RuntimeFor(*c).Start(c->id); !s.ok()) {
    containers_.Write([&] { c->started_at_ns = 0; });
    return s.WithContext("container " + c->name);
  }
  BERTH_CRASH_POINT("container-start/after-start");
  platform_hooks_->OnStarted(c->id, c->platform_annotations);
  containers_.Write([&] {
    if (c->state == rt::CONTAINER_CREATED) c->state = rt::CONTAINER_RUNNING;
  });
  spdlog::info("container {} ({}) started", c->name, c->id);
  AnnounceContainer(*c);
  return PersistContainerState(*c);
}

}  // namespace berth::daemon
