// RemovePodSandbox, as numbered steps: stop if needed, remove the
// containers, mark the bundle as being removed, forget names and IDs,
// answer; the infra's runtime state, mounts and directories go after the
// answer (RemovalReaper). An unknown ID is success, as CRI requires.
#include <unistd.h>

#include "daemon/bundle_marker.h"
#include "daemon/call_context.h"
#include "daemon/crash_point.h"
#include "daemon/removal_reaper.h"
#include "daemon/server.h"
#include "pkg/fs/dir.h"
#include "pkg/fs/mount.h"

namespace berth::daemon {

namespace rt = runtime::v1;

Status Server::RemovePodSandbox(const rt::RemovePodSandboxRequest& req,
                                rt::RemovePodSandboxResponse*) {
  if (req.pod_sandbox_id().empty()) return InvalidArgument("pod_sandbox_id is required");
  Result<std::shared_ptr<Sandbox>> found = sandboxes_.Get(req.pod_sandbox_id());
  if (!found.ok()) {
    if (found.status().code() == Code::kNotFound) return OkStatus();
    return found.status();
  }
  Sandbox& s = **found;
  std::lock_guard<std::mutex> op(s.op_mu);

  // 1. Stop (idempotent): infra, network, shm, namespaces.
  CallStep("1 stop the pod");
  BERTH_RETURN_IF_ERROR(StopSandboxLocked(s));
  BERTH_CRASH_POINT("sandbox-remove/after-stop");
  // 2. The pod's containers (each finished in the background, before the
  // pod), then the durable record that the pod is gone: from the marker on, a
  // restart finishes the removal (restore.cc).
  CallStep("2 remove its containers and mark the pod as being removed");
  BERTH_RETURN_IF_ERROR(RemoveContainersOf(s.id).WithContext("pod sandbox " + s.id));
  BERTH_CRASH_POINT("sandbox-remove/after-containers");
  BERTH_RETURN_IF_ERROR(SetMarker(s.bundle_dir, kRemovingMarker));
  // 3. Names and index entries: a retry now finds nothing, which is success.
  AnnounceSandboxRemoved(s);
  sandboxes_.names().Release(s.name);
  sandboxes_.Remove(s.id);
  // 4. The infra's runtime state, mounts and directories, after the answer.
  reaper_->Enqueue(s.id, {}, [this, kept = *found] { return FinishSandboxRemoval(*kept); });
  return OkStatus();
}

bool Server::FinishSandboxRemoval(const Sandbox& s) {
  BERTH_CRASH_POINT("sandbox-remove/reap-before-runtime-delete");
  if (!ReapStepOk(RuntimeFor(s).Delete(s.id, true, s.bundle_dir), "runtime delete", s.id))
    return false;
  BERTH_CRASH_POINT("sandbox-remove/reap-after-runtime-delete");
  // Stale mounts first, then the directories; the bundle last, in one rename.
  const std::string run_dir = SandboxRunDir(s.id);
  if (!ReapStepOk(UnmountRecursive(run_dir), "unmount the run dir", s.id)) return false;
  if (!ReapStepOk(UnmountRecursive(s.bundle_dir), "unmount the bundle", s.id)) return false;
  if (!ReapStepOk(RemoveAll(run_dir), "remove the run dir", s.id)) return false;
  ::unlink((ExitDir() + "/" + s.id).c_str());
  Result<std::string> trash = MoveToTrash(s.bundle_dir);
  if (!ReapStepOk(trash.status(), "move the bundle aside", s.id)) return false;
  return ReapStepOk(RemoveAll(*trash), "remove the bundle", s.id);
}

}  // namespace berth::daemon
