// CgroupReader: CPU, memory, swap and process figures of one cgroup, read
// from cgroupfs files only (no directory walks), for cgroup v1 (one hierarchy
// per controller at <root>/<controller>, also the "hybrid" layout) and v2
// (the unified hierarchy at <root>).
//
// Files read, v1: cpuacct/cpuacct.usage; memory/memory.{usage_in_bytes,stat}
// (the limits and swap come from memory.stat's hierarchical_* and total_swap
// lines); pids/pids.current. v2: cpu.stat, memory.{current,max,stat,
// swap.current,swap.max}, pids.current.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "pkg/base/status.h"
#include "pkg/cgroups/pod_resources.h"
#include "pkg/fs/scoped_fd.h"

namespace berth::stats {

struct MemoryStats {
  uint64_t usage_bytes = 0;
  // usage - inactive file pages (what the kernel would reclaim last), >= 0:
  // the figure the kubelet evicts on.
  uint64_t working_set_bytes = 0;
  uint64_t rss_bytes = 0;  // anonymous memory (v1 total_rss, v2 anon)
  uint64_t page_faults = 0;
  uint64_t major_page_faults = 0;
  // nullopt: no limit. v1: the effective (hierarchical) limit; v2: memory.max.
  std::optional<uint64_t> limit_bytes;

  // limit - working set (0 when above it); nullopt without a limit.
  std::optional<uint64_t> AvailableBytes() const;
};

struct SwapStats {
  uint64_t usage_bytes = 0;
  std::optional<uint64_t> limit_bytes;  // swap alone; nullopt: no limit
  std::optional<uint64_t> AvailableBytes() const;
};

// One reading. A part is empty when the node has no such controller (or,
// for swap, no swap accounting).
struct CgroupSample {
  int64_t timestamp_ns = 0;  // wall clock, when the reading started
  std::optional<uint64_t> cpu_usage_ns;
  std::optional<MemoryStats> memory;
  std::optional<SwapStats> swap;
  std::optional<uint64_t> process_count;
};

// Adds `part` into `total` (a pod without a cgroup of its own is the sum of
// its containers'). Sums have no single limit: the total's limits are dropped.
void Accumulate(const CgroupSample& part, CgroupSample* total);

// usage - inactive_file, clamped at 0 (inactive_file can exceed usage for a
// moment, since the kernel updates the two counters separately).
uint64_t WorkingSet(uint64_t usage, uint64_t inactive_file);

// The value of `key` in a flat-keyed file ("key value" per line: memory.stat,
// cpu.stat); nullopt when absent or not a number.
std::optional<uint64_t> KeyedValue(std::string_view text, std::string_view key);

class CgroupReader {
 public:
  // Opens the layout's hierarchy roots (a missing one reads as absent).
  explicit CgroupReader(cgroups::Layout layout);

  // Reads the cgroup at `dir` (from CgroupDirOf: "/a/b"). Missing files
  // leave their part empty; NotFound when nothing could be read (the cgroup
  // does not exist, e.g. the container has exited and runc removed it).
  Result<CgroupSample> Read(const std::string& dir) const;

  const cgroups::Layout& layout() const { return layout_; }

 private:
  // `rel`: the cgroup relative to a hierarchy root, "" or ending in '/'.
  CgroupSample ReadV1(const std::string& rel) const;
  CgroupSample ReadV2(const std::string& rel) const;

  cgroups::Layout layout_;
  ScopedFd cpuacct_, memory_, pids_;  // v1 hierarchy roots
  ScopedFd unified_;                  // the v2 root
};

}  // namespace berth::stats
