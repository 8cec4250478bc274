#include "pkg/stats/cgroup_stats.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>

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
  // False when the file cannot be opened or read (absent controller, gone cgroup).
  bool Read(const std::string& path) {
    size_ = 0;
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
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

std::optional<uint64_t> ParseU64(std::string_view s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.remove_suffix(1);
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

// A single-number file; nullopt when missing or not a number.
std::optional<uint64_t> ReadU64(SmallFile& f, const std::string& path) {
  if (!f.Read(path)) return std::nullopt;
  return ParseU64(f.text());
}

// v2 limits: a number, or "max" for none. Missing file: nullopt.
struct V2Limit {
  bool present = false;
  std::optional<uint64_t> limit;
};
V2Limit ReadV2Limit(SmallFile& f, const std::string& path) {
  if (!f.Read(path)) return {};
  std::string_view t = f.text();
  while (!t.empty() && t.back() == '\n') t.remove_suffix(1);
  if (t == "max") return {true, std::nullopt};
  return {true, ParseU64(t)};
}

uint64_t Sub0(uint64_t a, uint64_t b) {
  return a > b ? a - b : 0;
}

int64_t NowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
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

template <typename T>
void AddTo(const std::optional<T>& part, std::optional<T>* total) {
  if (!part) return;
  *total = total->value_or(T{}) + *part;
}

}  // namespace

std::optional<uint64_t> MemoryStats::AvailableBytes() const {
  if (!limit_bytes) return std::nullopt;
  return Sub0(*limit_bytes, working_set_bytes);
}

std::optional<uint64_t> SwapStats::AvailableBytes() const {
  if (!limit_bytes) return std::nullopt;
  return Sub0(*limit_bytes, usage_bytes);
}

uint64_t WorkingSet(uint64_t usage, uint64_t inactive_file) {
  return Sub0(usage, inactive_file);
}

std::optional<uint64_t> KeyedValue(std::string_view text, std::string_view key) {
  while (!text.empty()) {
    size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
    if (line.size() > key.size() && line.starts_with(key) && line[key.size()] == ' ') {
      return ParseU64(line.substr(key.size() + 1));
    }
  }
  return std::nullopt;
}

void Accumulate(const CgroupSample& part, CgroupSample* total) {
  AddTo(part.cpu_usage_ns, &total->cpu_usage_ns);
  AddTo(part.process_count, &total->process_count);
  if (part.memory) {
    MemoryStats& m = total->memory ? *total->memory : total->memory.emplace();
    m.usage_bytes += part.memory->usage_bytes;
    m.working_set_bytes += part.memory->working_set_bytes;
    m.rss_bytes += part.memory->rss_bytes;
    m.page_faults += part.memory->page_faults;
    m.major_page_faults += part.memory->major_page_faults;
    m.limit_bytes.reset();
  }
  if (part.swap) {
    SwapStats& s = total->swap ? *total->swap : total->swap.emplace();
    s.usage_bytes += part.swap->usage_bytes;
    s.limit_bytes.reset();
  }
}

Result<CgroupSample> CgroupReader::Read(const std::string& dir) const {
  const std::string d = dir == "/" ? "" : dir;
  CgroupSample s = layout_.version == cgroups::Version::kV2 ? ReadV2(d) : ReadV1(d);
  if (Empty(s)) return NotFound("cgroup " + dir + " has no readable stats files");
  return s;
}

CgroupSample CgroupReader::ReadV1(const std::string& dir) const {
  CgroupSample s;
  s.timestamp_ns = NowNanos();
  SmallFile f;
  s.cpu_usage_ns = ReadU64(f, layout_.root + "/cpuacct" + dir + "/cpuacct.usage");
  const std::string mem = layout_.root + "/memory" + dir;
  if (std::optional<uint64_t> usage = ReadU64(f, mem + "/memory.usage_in_bytes")) {
    std::optional<uint64_t> limit = ReadU64(f, mem + "/memory.limit_in_bytes");
    if (limit && *limit >= kV1Unlimited) limit.reset();
    if (f.Read(mem + "/memory.stat")) {
      s.memory = MemoryFrom(*usage, f.text(), kV1Keys);
      s.memory->limit_bytes = limit;
    }
    // memsw counts memory + swap together; the files exist only where swap
    // is accounted.
    if (std::optional<uint64_t> memsw = ReadU64(f, mem + "/memory.memsw.usage_in_bytes")) {
      SwapStats& swap = s.swap.emplace();
      swap.usage_bytes = Sub0(*memsw, *usage);
      std::optional<uint64_t> memsw_limit = ReadU64(f, mem + "/memory.memsw.limit_in_bytes");
      if (limit && memsw_limit && *memsw_limit < kV1Unlimited) {
        swap.limit_bytes = Sub0(*memsw_limit, *limit);
      }
    }
  }
  s.process_count = ReadU64(f, layout_.root + "/pids" + dir + "/pids.current");
  return s;
}

CgroupSample CgroupReader::ReadV2(const std::string& dir) const {
  CgroupSample s;
  s.timestamp_ns = NowNanos();
  SmallFile f;
  const std::string base = layout_.root + dir;
  // cpu.stat exists in every v2 cgroup, with or without the cpu controller.
  if (f.Read(base + "/cpu.stat")) {
    if (std::optional<uint64_t> usec = KeyedValue(f.text(), "usage_usec")) {
      s.cpu_usage_ns = *usec * 1000;
    }
  }
  if (std::optional<uint64_t> usage = ReadU64(f, base + "/memory.current")) {
    V2Limit limit = ReadV2Limit(f, base + "/memory.max");
    if (f.Read(base + "/memory.stat")) {
      s.memory = MemoryFrom(*usage, f.text(), kV2Keys);
      s.memory->limit_bytes = limit.limit;
    }
    if (std::optional<uint64_t> swap = ReadU64(f, base + "/memory.swap.current")) {
      s.swap.emplace().usage_bytes = *swap;
      s.swap->limit_bytes = ReadV2Limit(f, base + "/memory.swap.max").limit;
    }
  }
  s.process_count = ReadU64(f, base + "/pids.current");
  return s;
}

}  // namespace berth::stats
