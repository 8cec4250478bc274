#include "pkg/stats/cpu_rate.h"

namespace berth::stats {

std::optional<uint64_t> NanoCores(uint64_t prev_usage_ns, int64_t prev_ts_ns, uint64_t usage_ns,
                                  int64_t ts_ns) {
  if (ts_ns <= prev_ts_ns || usage_ns < prev_usage_ns) return std::nullopt;
  // long double: usage deltas of hours times 1e9 overflow 64 bits.
  const long double rate = static_cast<long double>(usage_ns - prev_usage_ns) * 1e9L /
                           static_cast<long double>(ts_ns - prev_ts_ns);
  return static_cast<uint64_t>(rate);
}

std::optional<uint64_t> CpuRateTracker::Update(const std::string& key, int64_t timestamp_ns,
                                               uint64_t usage_ns) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = kept_.find(key);
  if (it == kept_.end()) {
    kept_.emplace(key, Kept{timestamp_ns, usage_ns, std::nullopt});
    return std::nullopt;
  }
  Kept& prev = it->second;
  // Too soon after the kept reading: reuse its rate. A clock stepped back or
  // a restarted cgroup (usage went down) starts over from this reading.
  const int64_t since = timestamp_ns - prev.timestamp_ns;
  if (since >= 0 && since < min_window_ns_ && usage_ns >= prev.usage_ns) {
    return prev.rate;
  }
  std::optional<uint64_t> rate =
      NanoCores(prev.usage_ns, prev.timestamp_ns, usage_ns, timestamp_ns);
  prev = Kept{timestamp_ns, usage_ns, rate};
  return rate;
}

void CpuRateTracker::Retain(const std::function<bool(const std::string&)>& keep) {
  std::lock_guard<std::mutex> lock(mu_);
  std::erase_if(kept_, [&](const auto& kv) { return !keep(kv.first); });
}

size_t CpuRateTracker::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return kept_.size();
}

}  // namespace berth::stats
