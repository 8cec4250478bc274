#include "pkg/image/image_fs_info.h"

#include <climits>
#include <cstdlib>

#include <chrono>

#include "pkg/fs/mountinfo.h"
#include "pkg/stats/disk_usage.h"

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

Result<FsUsage> ImageFsUsage(const std::string& dir) {
  FsUsage usage;
  usage.timestamp_nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
  BERTH_ASSIGN_OR_RETURN(usage.mountpoint, MountPointOf(dir));
  // The same du rules as a container's writable layer (pkg/stats).
  BERTH_ASSIGN_OR_RETURN(stats::DiskUsage disk, stats::MeasureDiskUsage(dir));
  usage.used_bytes = disk.bytes;
  usage.inodes_used = disk.inodes;
  return usage;
}

}  // namespace berth::image
