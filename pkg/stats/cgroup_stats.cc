// CgroupReader on cgroupfs files (cgroup_stats_windows.cc is the Windows
// answer); the sample arithmetic is in cgroup_sample.cc.
#include "pkg/stats/cgroup_stats.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>

#include "pkg/stats/cgroup_values.h"
#include "pkg/stats/clock.h"

namespace berth::stats {
namespace {

// cgroup v1 writes "no limit" as PAGE_COUNTER_MAX pages in bytes
// (9223372036854771712 with 4 KiB pages; other page sizes round differently);
// nothing real comes near 2^62.
constexpr uint64_t kV1Unlimited = uint64_t{1} << 62;

// cgroup files are small and read whole; the largest (memory.stat) is about
// 2 KiB. A stack buffer and plain syscalls keep a reading cheap: a list of
// 100 containers reads some 700 files.
class SmallFile {
 public:
  // `path` relative to the hierarchy root `dirfd`. False when the file cannot
  // be opened or read (absent controller or hierarchy, gone cgroup).
  bool Read(int dirfd, const std::string& path) {
    size_ = 0;
    int fd = ::openat(dirfd, path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return false;
    bool ok = true;
    while (size_ < sizeof buf_) {
      ssize_t n = ::read(fd, buf_ + size_, sizeof buf_ - size_);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) ok = false;
      if (n <= 0) break;
      size_ += static_cast<size_t>(n);
    }
    ::close(fd);
    return ok;
  }
  std::string_view text() const { return {buf_, size_}; }

 private:
  char buf_[8192];
  size_t size_ = 0;
};

// A single-number file; nullopt when missing or not a number.
std::optional<uint64_t> ReadU64(SmallFile& f, int dirfd, const std::string& path) {
  if (!f.Read(dirfd, path)) return std::nullopt;
  return ParseCgroupU64(f.text());
}

// v2 limits: a number, or "max" for none. Missing file: nullopt.
struct V2Limit {
  bool present = false;
  std::optional<uint64_t> limit;
};
V2Limit ReadV2Limit(SmallFile& f, int dirfd, const std::string& path) {
  if (!f.Read(dirfd, path)) return {};
  std::string_view t = f.text();
  while (!t.empty() && t.back() == '\n') t.remove_suffix(1);
  if (t == "max") return {true, std::nullopt};
  return {true, ParseCgroupU64(t)};
}

// A v1 limit; nullopt for none (or absent).
std::optional<uint64_t> V1Limit(std::optional<uint64_t> v) {
  if (v && *v >= kV1Unlimited) return std::nullopt;
  return v;
}

// memory.stat keys differ between versions; v1 has per-cgroup and
// hierarchical ("total_") variants, and a pod's cgroup needs the latter.
struct StatKeys {
  std::string_view inactive_file, rss, pgfault, pgmajfault;
};
constexpr StatKeys kV1Keys = {"total_inactive_file", "total_rss", "total_pgfault",
                              "total_pgmajfault"};
constexpr StatKeys kV2Keys = {"inactive_file", "anon", "pgfault", "pgmajfault"};

MemoryStats MemoryFrom(uint64_t usage, std::string_view stat, const StatKeys& keys) {
  MemoryStats m;
  m.usage_bytes = usage;
  m.working_set_bytes = WorkingSet(usage, KeyedValue(stat, keys.inactive_file).value_or(0));
  m.rss_bytes = KeyedValue(stat, keys.rss).value_or(0);
  m.page_faults = KeyedValue(stat, keys.pgfault).value_or(0);
  m.major_page_faults = KeyedValue(stat, keys.pgmajfault).value_or(0);
  return m;
}

bool Empty(const CgroupSample& s) {
  return !s.cpu_usage_ns && !s.memory && !s.swap && !s.process_count;
}

}  // namespace

CgroupReader::CgroupReader(cgroups::Layout layout) : layout_(std::move(layout)) {
  // The hierarchy roots stay open: a file is then opened relative to its
  // root, which spares the kernel the lookup of the root's own path at each
  // of the thousands of opens a list makes.
  auto open_root = [&](const std::string& sub) {
    return ScopedFd(::open((layout_.root + sub).c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  };
  if (layout_.version == cgroups::Version::kV2) {
    unified_ = open_root("");
    return;
  }
  cpuacct_ = open_root("/cpuacct");
  memory_ = open_root("/memory");
  pids_ = open_root("/pids");
}

Result<CgroupSample> CgroupReader::Read(const std::string& dir) const {
  if (dir.empty() || dir.front() != '/') {
    return InvalidArgument("cgroup " + dir + " is not an absolute path");
  }
  // Relative to a hierarchy root, ready for a file name: "/a/b" -> "a/b/".
  const std::string rel = dir == "/" ? "" : dir.substr(1) + "/";
  CgroupSample s = layout_.version == cgroups::Version::kV2 ? ReadV2(rel) : ReadV1(rel);
  if (Empty(s)) return NotFound("cgroup " + dir + " has no readable stats files");
  return s;
}

CgroupSample CgroupReader::ReadV1(const std::string& dir) const {
  CgroupSample s;
  s.timestamp_ns = WallClockNanos();
  SmallFile f;
  s.cpu_usage_ns = ReadU64(f, cpuacct_.get(), dir + "cpuacct.usage");
  const int mem = memory_.get();
  // memory.stat also carries the limits and swap use, which saves three
  // file reads per container (a list of 100 containers has 10 ms in all).
  // Its hierarchical limits are the effective ones: the smallest on the path
  // to the root, which is what the kernel enforces. The swap lines are there
  // only where swap is accounted.
  std::optional<uint64_t> usage = ReadU64(f, mem, dir + "memory.usage_in_bytes");
  if (usage && f.Read(mem, dir + "memory.stat")) {
    const std::string_view stat = f.text();
    s.memory = MemoryFrom(*usage, stat, kV1Keys);
    s.memory->limit_bytes = V1Limit(KeyedValue(stat, "hierarchical_memory_limit"));
    if (std::optional<uint64_t> swap = KeyedValue(stat, "total_swap")) {
      s.swap.emplace().usage_bytes = *swap;
      // memsw limits memory and swap together; swap alone may use the rest.
      std::optional<uint64_t> memsw = V1Limit(KeyedValue(stat, "hierarchical_memsw_limit"));
      if (memsw && s.memory->limit_bytes) {
        s.swap->limit_bytes = SubtractOrZero(*memsw, *s.memory->limit_bytes);
      }
    }
  }
  s.process_count = ReadU64(f, pids_.get(), dir + "pids.current");
  return s;
}

CgroupSample CgroupReader::ReadV2(const std::string& dir) const {
  CgroupSample s;
  s.timestamp_ns = WallClockNanos();
  SmallFile f;
  const int root = unified_.get();
  // cpu.stat exists in every v2 cgroup, with or without the cpu controller.
  if (f.Read(root, dir + "cpu.stat")) {
    if (std::optional<uint64_t> usec = KeyedValue(f.text(), "usage_usec")) {
      s.cpu_usage_ns = *usec * 1000;
    }
  }
  if (std::optional<uint64_t> usage = ReadU64(f, root, dir + "memory.current")) {
    V2Limit limit = ReadV2Limit(f, root, dir + "memory.max");
    if (f.Read(root, dir + "memory.stat")) {
      s.memory = MemoryFrom(*usage, f.text(), kV2Keys);
      s.memory->limit_bytes = limit.limit;
    }
    if (std::optional<uint64_t> swap = ReadU64(f, root, dir + "memory.swap.current")) {
      s.swap.emplace().usage_bytes = *swap;
      s.swap->limit_bytes = ReadV2Limit(f, root, dir + "memory.swap.max").limit;
    }
  }
  s.process_count = ReadU64(f, root, dir + "pids.current");
  return s;
}

}  // namespace berth::stats
