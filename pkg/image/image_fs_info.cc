#include "pkg/image/image_fs_info.h"

#include <chrono>

#include "pkg/stats/disk_usage.h"

namespace berth::image {

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
