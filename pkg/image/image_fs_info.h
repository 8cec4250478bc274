// ImageFsInfo: disk usage of the image store, for the CRI ImageFsInfo RPC.
#pragma once

#include <cstdint>
#include <string>

#include "pkg/base/status.h"

namespace berth::image {

struct FsUsage {
  std::string mountpoint;    // mount point of the filesystem holding `dir`
  uint64_t used_bytes = 0;   // allocated blocks (st_blocks * 512), each inode once
  uint64_t inodes_used = 0;  // distinct inodes, hard links counted once
  int64_t timestamp_nanos = 0;
};

// Walks `dir` as du does (pkg/stats/disk_usage.h: not crossing into other
// filesystems, not following symlinks, hard links once).
// Entries that vanish during the walk (a concurrent removal) are ignored.
Result<FsUsage> ImageFsUsage(const std::string& dir);

// The mount point of the filesystem holding `path`: from /proc/self/mountinfo
// on Linux; on Windows the volume's mount point (GetVolumePathName: "C:\\" or
// a folder a volume is mounted on). A missing `path` is an error naming it.
Result<std::string> MountPointOf(const std::string& path);

}  // namespace berth::image
