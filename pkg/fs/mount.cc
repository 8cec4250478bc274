#include "pkg/fs/mount.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <utility>
#include <vector>

#include "pkg/fs/mount_id.h"
#include "pkg/fs/mountinfo.h"
#include "pkg/fs/scoped_fd.h"

namespace berth {
namespace {

// Enough rounds for mounts stacked or propagated several deep; more means
// something keeps remounting and we should stop and say so.
constexpr int kMaxUnmountRounds = 16;

const char* OrNull(const std::string& s) {
  return s.empty() ? nullptr : s.c_str();
}

bool AtOrBelow(const std::string& path, const std::string& prefix) {
  return path == prefix ||
         (path.size() > prefix.size() && path.compare(0, prefix.size(), prefix) == 0 &&
          path[prefix.size()] == '/');
}

size_t Depth(const std::string& path) {
  return std::count(path.begin(), path.end(), '/');
}

}  // namespace

Result<MountGuard> Mount(std::string_view source_view, std::string_view target_view,
                         std::string_view fstype_view, unsigned long flags,
                         std::string_view data_view) {
  const std::string source(source_view), target(target_view), fstype(fstype_view), data(data_view);
  if (target.empty()) return InvalidArgument("mount: empty target");
  constexpr unsigned long kNotCreating =
      MS_REMOUNT | MS_MOVE | MS_SHARED | MS_PRIVATE | MS_SLAVE | MS_UNBINDABLE;
  if (flags & kNotCreating) {
    return InvalidArgument("mount on " + target +
                           ": remount, move and propagation flags do not create a mount");
  }
  const std::string what = "mount " + (fstype.empty() ? std::string("bind") : fstype) + " " +
                           (source.empty() ? std::string("none") : source) + " on " + target;
  if (::mount(OrNull(source), target.c_str(), OrNull(fstype), flags, OrNull(data)) != 0) {
    return ErrnoError(what, errno);
  }
  MountGuard guard(target);
  // The kernel ignores MS_RDONLY (and nosuid/nodev/noexec) on the first bind
  // mount; they take effect only through a remount of the bind.
  constexpr unsigned long kBindRemountable = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;
  if ((flags & MS_BIND) && (flags & kBindRemountable)) {
    unsigned long remount = MS_REMOUNT | MS_BIND | (flags & kBindRemountable);
    if (::mount(nullptr, target.c_str(), nullptr, remount, nullptr) != 0) {
      return ErrnoError(what + ": remount with restricting flags", errno);  // guard unmounts
    }
  }
  return guard;
}

Result<MountGuard> MountRestrictedTmpfs(std::string_view source, std::string_view target,
                                        std::string_view data) {
  return Mount(source, target, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, data);
}

Status Unmount(std::string_view path_view) {
  const std::string path(path_view);
  if (::umount2(path.c_str(), UMOUNT_NOFOLLOW) == 0) return OkStatus();
  int err = errno;
  if (err == EINVAL || err == ENOENT) return OkStatus();  // not a mount point (any more)
  if (err == EBUSY) {
    // Still in use (an open file, a process's cwd): detach it from the tree
    // now; the kernel frees it when the last user goes.
    if (::umount2(path.c_str(), MNT_DETACH | UMOUNT_NOFOLLOW) == 0) return OkStatus();
    err = errno;
    if (err == EINVAL || err == ENOENT) return OkStatus();
    return ErrnoError("unmount " + path + " (lazy, after busy)", err);
  }
  return ErrnoError("unmount " + path, err);
}

Result<bool> IsMountPoint(std::string_view path_view) {
  const std::string path(path_view);
  if (path.empty()) return InvalidArgument("mount point check: empty path");
  struct statx stx {};
  if (::statx(AT_FDCWD, path.c_str(), AT_SYMLINK_NOFOLLOW, STATX_TYPE, &stx) == 0) {
    // Linux 5.8+ answers directly.
    if (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) {
      return (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT) != 0;
    }
  } else if (errno == ENOENT || errno == ENOTDIR) {
    return false;
  }
  return IsMountPointByMountId(path);
}

Status UnmountRecursive(std::string_view prefix_view) {
  std::string prefix(prefix_view);
  while (prefix.size() > 1 && prefix.back() == '/') prefix.pop_back();
  if (prefix.empty() || prefix[0] != '/') {
    return InvalidArgument("unmount recursive: \"" + prefix + "\" is not an absolute path");
  }
  if (prefix == "/") return InvalidArgument("unmount recursive: refusing to unmount everything");
  // mountinfo lists resolved paths; resolve ours the same way when it exists.
  if (char* real = ::realpath(prefix.c_str(), nullptr)) {
    prefix = real;
    ::free(real);
  }
  if (prefix == "/") return InvalidArgument("unmount recursive: refusing to unmount everything");

  for (int round = 0; round < kMaxUnmountRounds; ++round) {
    BERTH_ASSIGN_OR_RETURN(std::vector<MountInfo> mounts, ReadMountInfo());
    std::vector<std::string> targets;
    for (MountInfo& m : mounts) {
      if (AtOrBelow(m.mount_point, prefix)) targets.push_back(std::move(m.mount_point));
    }
    if (targets.empty()) return OkStatus();
    // Deepest first: a parent cannot go while a child is mounted on it. The
    // stable sort keeps stacked mounts on one path in mountinfo order; each
    // Unmount of that path removes the topmost.
    std::stable_sort(
        targets.begin(), targets.end(),
        [](const std::string& a, const std::string& b) { return Depth(a) > Depth(b); });
    Status first_error;
    for (const std::string& target : targets) {
      if (Status s = Unmount(target); !s.ok() && first_error.ok()) first_error = s;
    }
    if (!first_error.ok()) return first_error.WithContext("unmount everything below " + prefix);
  }
  return Internal("unmount everything below " + prefix + ": mounts remain after " +
                  std::to_string(kMaxUnmountRounds) + " rounds");
}

}  // namespace berth
