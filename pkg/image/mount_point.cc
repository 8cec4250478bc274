// MountPointOf (image_fs_info.h) on Linux, from /proc/self/mountinfo
// (mount_point_windows.cc is the Windows one).
#include <climits>
#include <cstdlib>

#include "pkg/fs/mountinfo.h"
#include "pkg/image/image_fs_info.h"

namespace berth::image {

Result<std::string> MountPointOf(const std::string& path) {
  char real[PATH_MAX];
  if (::realpath(path.c_str(), real) == nullptr) return ErrnoError("resolve " + path, errno);
  const std::string target = real;
  BERTH_ASSIGN_OR_RETURN(std::vector<MountInfo> mounts, ReadMountInfo());
  std::string best;
  for (const MountInfo& m : mounts) {
    const std::string& mnt = m.mount_point;
    const bool covers =
        mnt == "/" || target == mnt || (target.starts_with(mnt) && target[mnt.size()] == '/');
    // The longest covering mount point holds the path (a later line wins a
    // tie: a later mount hides an earlier one on the same point).
    if (covers && mnt.size() >= best.size()) best = mnt;
  }
  if (best.empty()) return NotFound("no mount found for " + path);
  return best;
}

}  // namespace berth::image
