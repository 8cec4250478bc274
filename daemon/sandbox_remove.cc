// RemovePodSandbox, as numbered steps: stop if needed, delete the runtime
// state, unmount and remove the directories, then forget names and IDs.
// An unknown ID is success, as CRI requires.
#include <unistd.h>

#include "daemon/bundle_marker.h"
#include "daemon/crash_point.h"
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
  BERTH_RETURN_IF_ERROR(StopSandboxLocked(s));
  BERTH_CRASH_POINT("sandbox-remove/after-stop");
  // 2. The pod's containers, then the infra's runtime state. From the marker
  // on, a restart finishes the removal (restore.cc).
  BERTH_RETURN_IF_ERROR(RemoveContainersOf(s.id).WithContext("pod sandbox " + s.id));
  BERTH_CRASH_POINT("sandbox-remove/after-containers");
  BERTH_RETURN_IF_ERROR(SetMarker(s.bundle_dir, kRemovingMarker));
  BERTH_RETURN_IF_ERROR(RuntimeFor(s).Delete(s.id, true));
  BERTH_CRASH_POINT("sandbox-remove/after-runtime-delete");
  // 3. Files: stale mounts first, then the directories and the exit file.
  const std::string run_dir = SandboxRunDir(s.id);
  BERTH_RETURN_IF_ERROR(UnmountRecursive(run_dir));
  BERTH_RETURN_IF_ERROR(UnmountRecursive(s.bundle_dir));
  BERTH_RETURN_IF_ERROR(RemoveAll(run_dir));
  BERTH_ASSIGN_OR_RETURN(std::string trash, MoveToTrash(s.bundle_dir));
  BERTH_RETURN_IF_ERROR(RemoveAll(trash));
  unlink((ExitDir() + "/" + s.id).c_str());
  // 4. Names and index entries last: until here a retry can still find it.
  AnnounceSandboxRemoved(s);
  sandboxes_.names().Release(s.name);
  sandboxes_.Remove(s.id);
  return OkStatus();
}

}  // namespace berth::daemon
