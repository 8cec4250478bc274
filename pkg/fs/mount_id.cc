#include "pkg/fs/mount_id.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cerrno>
#include <string>

#include "pkg/fs/scoped_fd.h"

namespace berth {

Result<MountId> MountIdOf(int fd) {
  struct statx stx {};
  if (::statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &stx) == 0) {
    if (stx.stx_mask & STATX_MNT_ID) return MountId{true, stx.stx_mnt_id};
    return MountId{false, ::makedev(stx.stx_dev_major, stx.stx_dev_minor)};
  }
  if (errno != ENOSYS && errno != EPERM) {  // EPERM: statx blocked by a seccomp filter
    return ErrnoError("statx fd " + std::to_string(fd), errno);
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) return ErrnoError("fstat fd " + std::to_string(fd), errno);
  return MountId{false, static_cast<uint64_t>(st.st_dev)};
}

Result<bool> IsMountPointByMountId(const std::string& path) {
  // A mount root lives on a different mount than its parent directory.
  ScopedFd fd(::open(path.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT || errno == ENOTDIR) return false;
    return ErrnoError("mount point check of " + path, errno);
  }
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return ErrnoError("mount point check of " + path, errno);
  if (S_ISLNK(st.st_mode)) return false;
  // The parent by name, not "<path>/..": a file can be a (bind) mount point.
  std::string parent_path = path;
  while (parent_path.size() > 1 && parent_path.back() == '/') parent_path.pop_back();
  const size_t slash = parent_path.rfind('/');
  parent_path =
      slash == std::string::npos ? "." : (slash == 0 ? "/" : parent_path.substr(0, slash));
  ScopedFd parent(::open(parent_path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!parent) return ErrnoError("mount point check of " + path + ": open parent", errno);
  BERTH_ASSIGN_OR_RETURN(MountId self_mount, MountIdOf(fd.get()));
  BERTH_ASSIGN_OR_RETURN(MountId parent_mount, MountIdOf(parent.get()));
  if (self_mount != parent_mount) return true;
  // "/" is its own parent and the root of a mount.
  struct stat parent_st;
  if (::fstat(parent.get(), &parent_st) != 0) {
    return ErrnoError("mount point check of " + path + ": stat parent", errno);
  }
  return st.st_dev == parent_st.st_dev && st.st_ino == parent_st.st_ino;
}

}  // namespace berth
