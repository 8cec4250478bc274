// RemoveContainer, as numbered steps: stop if running, delete the runtime
// state, unmount the rootfs, remove the files, then forget names and IDs.
// An unknown ID is success. The log file stays: it is the kubelet's.
#include <unistd.h>

#include <spdlog/spdlog.h>

#include "daemon/bundle_marker.h"
#include "daemon/crash_point.h"
#include "daemon/server.h"
#include "pkg/fs/dir.h"
#include "pkg/fs/mount.h"
#include "pkg/oci/conmon.h"
#include "pkg/process/wait_gone.h"

namespace berth::daemon {

namespace rt = runtime::v1;

namespace {
// conmon exits right after its container; this only bounds a stuck one.
constexpr auto kConmonExitGrace = std::chrono::seconds(10);
}  // namespace

Status Server::RemoveContainerLocked(Container& c) {
  // 1. Stop (SIGKILL at once: removal is not a graceful stop).
  BERTH_RETURN_IF_ERROR(StopContainerLocked(c, std::chrono::seconds(0)));
  BERTH_CRASH_POINT("container-remove/after-stop");
  // 2. Runtime state (conmon exits with the container). From the marker on,
  // a restart finishes the removal (restore.cc).
  BERTH_RETURN_IF_ERROR(SetMarker(c.bundle_dir, kRemovingMarker));
  Result<pid_t> conmon = oci::ReadPidFile(ContainerRunDir(c.id) + "/conmon.pid");
  BERTH_RETURN_IF_ERROR(RuntimeFor(c).Delete(c.id, true).WithContext("container " + c.name));
  // conmon writes the exit file as it leaves: let it, so none is left behind.
  if (conmon.ok() && *conmon > 1) (void)process::WaitProcessGone(*conmon, kConmonExitGrace);
  BERTH_CRASH_POINT("container-remove/after-runtime-delete");
  // Windows: the gMSA registry value and CCG instance, once the runtime is done with them.
  BERTH_RETURN_IF_ERROR(platform_hooks_->OnRemoved(c.id, c.platform_annotations));
  // 3. Mounts, then files and the exit file.
  const std::string run_dir = ContainerRunDir(c.id);
  BERTH_RETURN_IF_ERROR(UnmountRecursive(c.bundle_dir));
  BERTH_CRASH_POINT("container-remove/after-unmount");
  BERTH_RETURN_IF_ERROR(RemoveAll(run_dir));
  BERTH_ASSIGN_OR_RETURN(std::string trash, MoveToTrash(c.bundle_dir));
  BERTH_RETURN_IF_ERROR(RemoveAll(trash));
  unlink((ExitDir() + "/" + c.id).c_str());
  BERTH_CRASH_POINT("container-remove/after-files");
  // 4. Names and index entries last: until here a retry still finds it.
  containers_.names().Release(c.name);
  containers_.Remove(c.id);
  AnnounceContainerRemoved(c);
  spdlog::info("container {} ({}) removed", c.name, c.id);
  return OkStatus();
}

Status Server::RemoveContainer(const rt::RemoveContainerRequest& req,
                               rt::RemoveContainerResponse*) {
  if (req.container_id().empty()) return InvalidArgument("container_id is required");
  Result<std::shared_ptr<Container>> c = containers_.Get(req.container_id());
  if (!c.ok()) {
    if (c.status().code() == Code::kNotFound) return OkStatus();
    return c.status();
  }
  std::lock_guard<std::mutex> op((*c)->op_mu);
  return RemoveContainerLocked(**c);
}

Status Server::RemoveContainersOf(const std::string& sandbox_id) {
  for (const auto& c : ContainersOf(sandbox_id)) {
    std::lock_guard<std::mutex> op(c->op_mu);
    BERTH_RETURN_IF_ERROR(RemoveContainerLocked(*c));
  }
  return OkStatus();
}

bool Server::ImageInUse(const std::string& image_id) const {
  for (const auto& c : containers_.List()) {
    if (c->image_id == image_id) return true;
  }
  return false;
}

}  // namespace berth::daemon
