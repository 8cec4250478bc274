// RemoveContainer, as numbered steps: stop if running, mark the bundle as
// being removed, forget names and IDs, answer; the runtime state, the rootfs
// mount and the files go after the answer (RemovalReaper). An unknown ID is
// success. The log file stays: it is the kubelet's.
#include <unistd.h>

#include <spdlog/spdlog.h>

#include "daemon/bundle_marker.h"
#include "daemon/call_context.h"
#include "daemon/crash_point.h"
#include "daemon/removal_reaper.h"
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
// Bounds RemoveImage's wait for the unmount of removed containers' rootfs.
constexpr auto kReleaseWait = std::chrono::seconds(30);
}  // namespace

Status Server::RemoveContainerLocked(Container& c) {
  // 1. Stop (SIGKILL at once: removal is not a graceful stop).
  CallStep("1 stop the container");
  BERTH_RETURN_IF_ERROR(StopContainerLocked(c, std::chrono::seconds(0)));
  BERTH_CRASH_POINT("container-remove/after-stop");
  // 2. The durable record that the container is gone: from the marker on, a
  // restart finishes the removal (restore.cc), so the answer waits for
  // nothing more.
  CallStep("2 mark the container as being removed");
  BERTH_RETURN_IF_ERROR(SetMarker(c.bundle_dir, kRemovingMarker));
  // 3. Names and index entries: a retry now finds nothing, which is success.
  Result<std::shared_ptr<Container>> gone = containers_.Get(c.id);
  if (!gone.ok()) return gone.status();
  containers_.Remove(c.id);
  containers_.names().Release(c.name);
  AnnounceContainerRemoved(c);
  spdlog::info("container {} ({}) removed; its files go in the background", c.name, c.id);
  // 4. The runtime state, mounts and files, after the answer.
  reaper_->Enqueue(c.id, {c.image_id},
                   [this, kept = *gone] { return FinishContainerRemoval(*kept); });
  return OkStatus();
}

bool Server::FinishContainerRemoval(const Container& c) {
  BERTH_CRASH_POINT("container-remove/reap-before-runtime-delete");
  Result<pid_t> conmon = oci::ReadPidFile(ContainerRunDir(c.id) + "/conmon.pid");
  if (!ReapStepOk(RuntimeFor(c).Delete(c.id, true, c.bundle_dir), "runtime delete", c.id))
    return false;
  // conmon writes the exit file as it leaves: let it, so none is left behind.
  if (conmon.ok() && *conmon > 1) (void)process::WaitProcessGone(*conmon, kConmonExitGrace);
  BERTH_CRASH_POINT("container-remove/reap-after-runtime-delete");
  // Windows: the gMSA registry value and CCG instance, once the runtime is done with them.
  const Status platform = platform_hooks_->OnRemoved(c.id, c.platform_annotations);
  if (!ReapStepOk(platform, "release the platform setup", c.id)) return false;
  if (!ReapStepOk(UnmountRecursive(c.bundle_dir), "unmount the rootfs", c.id)) return false;
  BERTH_CRASH_POINT("container-remove/reap-after-unmount");
  if (!ReapStepOk(RemoveAll(ContainerRunDir(c.id)), "remove the run dir", c.id)) return false;
  ::unlink((ExitDir() + "/" + c.id).c_str());
  // The bundle goes last, in one rename: until then its marker is the record.
  Result<std::string> trash = MoveToTrash(c.bundle_dir);
  if (!ReapStepOk(trash.status(), "move the bundle aside", c.id)) return false;
  BERTH_CRASH_POINT("container-remove/reap-after-trash");
  return ReapStepOk(RemoveAll(*trash), "remove the bundle", c.id);
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
  // A removed container's rootfs mounts the image's layers until the reaper
  // unmounts it: wait for that rather than refuse.
  if (!reaper_->WaitReleased(image_id, kReleaseWait)) return true;
  for (const auto& c : containers_.List()) {
    if (c->image_id == image_id) return true;
  }
  return false;
}

}  // namespace berth::daemon
