// UpdateContainerResources (runtime `update`, recorded so a restart keeps
// it) and ReopenContainerLog (conmon reopens the log after rotation).
#include <google/protobuf/util/json_util.h>

#include <spdlog/fmt/ranges.h>
#include <spdlog/spdlog.h>

#include "daemon/server.h"
#include "daemon/validate.h"
#include "pkg/oci/conmon.h"
#include "pkg/oci/container_spec.h"

namespace berth::daemon {

namespace rt = runtime::v1;

Status Server::UpdateContainerResources(const rt::UpdateContainerResourcesRequest& req,
                                        rt::UpdateContainerResourcesResponse*) {
  if (req.container_id().empty()) return InvalidArgument("container_id is required");
  if (req.has_windows()) return InvalidArgument("windows resources on a Linux node");
  BERTH_RETURN_IF_ERROR(CheckLinuxResources(req.linux(), "linux"));
  BERTH_ASSIGN_OR_RETURN(std::shared_ptr<Container> c, containers_.Get(req.container_id()));
  std::lock_guard<std::mutex> op(c->op_mu);
  rt::ContainerState state = containers_.Read([&] { return c->state; });
  if (state != rt::CONTAINER_RUNNING && state != rt::CONTAINER_CREATED) {
    return FailedPrecondition("container " + c->id + " is not running");
  }
  Result<nlohmann::json> resources = oci::ResourcesToOci(req.linux());
  if (!resources.ok()) return resources.status().WithContext("container " + c->id);
  if (std::vector<std::string> left_out = oci::FitResourcesToNode(&*resources, node_);
      !left_out.empty()) {
    spdlog::info("container {}: this node cannot honour, left out of the update: {}", c->id,
                 fmt::join(left_out, "; "));
  }
  BERTH_RETURN_IF_ERROR(
      RuntimeFor(*c).Update(c->id, resources->dump()).WithContext("container " + c->id));
  containers_.Write([&] { c->resources = req.linux(); });
  return PersistContainerState(*c);
}

Status Server::ReopenContainerLog(const rt::ReopenContainerLogRequest& req,
                                  rt::ReopenContainerLogResponse*) {
  if (req.container_id().empty()) return InvalidArgument("container_id is required");
  BERTH_ASSIGN_OR_RETURN(std::shared_ptr<Container> c, containers_.Get(req.container_id()));
  if (containers_.Read([&] { return c->state; }) != rt::CONTAINER_RUNNING) {
    return FailedPrecondition("container " + c->id + " is not running");
  }
  return oci::ConmonDriver::ReopenLog(c->bundle_dir, c->log_path, std::chrono::seconds(10))
      .WithContext("container " + c->id);
}

}  // namespace berth::daemon
