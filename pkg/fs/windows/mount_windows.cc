// Windows build of mount.h (mount.cc is the Linux one). Windows has no
// mount(2): a container's layers and volumes are attached by the Host
// Compute Service (WCIFS layers, mapped directories), so Mount is
// Unimplemented. Nothing berth made is then ever mounted, which is why
// unmounting what berth owns has nothing to do; a volume mounted on a path
// by someone else is found (IsMountPoint) and left alone, with an error.
#include "pkg/base/status.h"
#include "pkg/fs/mount.h"
#include "pkg/fs/mount_id.h"

namespace berth {

Result<MountGuard> Mount(std::string_view source, std::string_view target, std::string_view fstype,
                         unsigned long /*flags*/, std::string_view /*data*/) {
  return Unimplemented("mount " + std::string(fstype.empty() ? "bind" : fstype) + " " +
                       std::string(source.empty() ? "none" : source) + " on " +
                       std::string(target) +
                       ": mount(2) is Linux-only; on Windows the Host Compute Service attaches "
                       "a container's layers (WCIFS) and mapped directories");
}

Result<MountGuard> MountRestrictedTmpfs(std::string_view source, std::string_view target,
                                        std::string_view data) {
  return Mount(source, target, "tmpfs", 0, data);
}

Status Unmount(std::string_view path) {
  BERTH_ASSIGN_OR_RETURN(bool mounted, IsMountPoint(path));
  if (!mounted) return OkStatus();
  return Unimplemented("unmount " + std::string(path) +
                       ": a volume is mounted there, and berth, which mounts nothing on "
                       "Windows, does not remove volume mount points");
}

Result<bool> IsMountPoint(std::string_view path) {
  if (path.empty()) return InvalidArgument("mount point check: empty path");
  return IsMountPointByMountId(std::string(path));
}

Status UnmountRecursive(std::string_view prefix) {
  if (prefix.empty()) return InvalidArgument("unmount recursive: empty path");
  // Mount never succeeds on Windows, so nothing below `prefix` is berth's to
  // unmount; a volume mounted there by someone else is a reparse point, which
  // RemoveAll (windows/dir_windows.cc) removes without entering.
  return OkStatus();
}

}  // namespace berth
