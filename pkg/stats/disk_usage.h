// Disk usage of a directory tree (a container's writable layer): allocated
// bytes and distinct inodes, as du counts them.
//
// Rules: hard links count once; symlinks count as themselves and are never
// followed; another filesystem mounted inside the tree is neither entered
// nor counted; entries that vanish during the walk are skipped (containers
// write while they are measured). Bytes are allocated blocks (st_blocks *
// 512), so sparse files count what they hold on disk. On Windows (the walk
// in disk_usage_windows.cc) the same rules hold with Windows' terms: every
// reparse point (symbolic link, junction, volume mount point) counts as
// itself and is never entered, another volume is not counted, and bytes
// are the allocation size.
//
// DiskUsageWalk is resumable: Step() visits a bounded number of entries, so
// a background sampler can spread one huge tree over several rounds. It
// keeps one open directory per level of the path it is in; trees deeper than
// kMaxDepth levels are counted down to that depth only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "pkg/base/status.h"

namespace berth::stats {

struct DiskUsage {
  uint64_t bytes = 0;
  uint64_t inodes = 0;
};

class DiskUsageWalk {
 public:
  static constexpr size_t kMaxDepth = 256;

  // Opens `dir` (not through a symlink) and counts it. The error names `dir`.
  static Result<std::unique_ptr<DiskUsageWalk>> Begin(const std::string& dir);
  ~DiskUsageWalk();
  DiskUsageWalk(const DiskUsageWalk&) = delete;
  DiskUsageWalk& operator=(const DiskUsageWalk&) = delete;

  // Visits up to `budget` entries; returns how many it visited (fewer only
  // when the walk ended).
  size_t Step(size_t budget);
  bool done() const;
  // So far; the total once done().
  const DiskUsage& usage() const;

 private:
  // Where the walk is, in the system's own terms (disk_usage.cc,
  // disk_usage_windows.cc).
  struct Walker;
  explicit DiskUsageWalk(std::unique_ptr<Walker> walker);

  std::unique_ptr<Walker> walker_;
};

// The whole walk at once (for callers that may block).
Result<DiskUsage> MeasureDiskUsage(const std::string& dir);

}  // namespace berth::stats
