// The parts of cgroup_stats.h that read no file, the same on every system:
// a sample's arithmetic and the parsing of flat-keyed cgroup files.
#include "pkg/stats/cgroup_stats.h"
#include "pkg/stats/cgroup_values.h"

namespace berth::stats {
namespace {

template <typename T>
void AddTo(const std::optional<T>& part, std::optional<T>* total) {
  if (!part) return;
  *total = total->value_or(T{}) + *part;
}

}  // namespace

std::optional<uint64_t> MemoryStats::AvailableBytes() const {
  if (!limit_bytes) return std::nullopt;
  return SubtractOrZero(*limit_bytes, working_set_bytes);
}

std::optional<uint64_t> SwapStats::AvailableBytes() const {
  if (!limit_bytes) return std::nullopt;
  return SubtractOrZero(*limit_bytes, usage_bytes);
}

uint64_t WorkingSet(uint64_t usage, uint64_t inactive_file) {
  return SubtractOrZero(usage, inactive_file);
}

std::optional<uint64_t> KeyedValue(std::string_view text, std::string_view key) {
  while (!text.empty()) {
    size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
    if (line.size() > key.size() && line.starts_with(key) && line[key.size()] == ' ') {
      return ParseCgroupU64(line.substr(key.size() + 1));
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

}  // namespace berth::stats
