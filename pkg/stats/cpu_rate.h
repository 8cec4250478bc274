// CpuRateTracker: usage_nano_cores, the average CPU use (in billionths of a
// core) between the previous reading of the same object and this one.
//
// cgroups only count cumulative CPU time, so a rate needs two readings; the
// tracker keeps the last one per object. Readings closer together than
// `min_window` (two clients asking at once) would make a noisy rate from a
// few microseconds of usage: they get the rate computed last instead and do
// not replace the kept reading.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace berth::stats {

// (usage delta) / (time delta) in nanocores; nullopt when time does not
// advance or usage went backwards (a recreated cgroup starts from 0).
std::optional<uint64_t> NanoCores(uint64_t prev_usage_ns, int64_t prev_ts_ns, uint64_t usage_ns,
                                  int64_t ts_ns);

class CpuRateTracker {
 public:
  explicit CpuRateTracker(std::chrono::nanoseconds min_window = std::chrono::seconds(1))
      : min_window_ns_(min_window.count()) {}

  // Records a reading of `key` and returns the rate since the kept one;
  // nullopt for the first reading of a key (or after usage went backwards).
  std::optional<uint64_t> Update(const std::string& key, int64_t timestamp_ns, uint64_t usage_ns);

  // Forgets every key for which `keep` is false (objects that are gone).
  void Retain(const std::function<bool(const std::string&)>& keep);

  size_t size() const;

 private:
  struct Kept {
    int64_t timestamp_ns = 0;
    uint64_t usage_ns = 0;
    std::optional<uint64_t> rate;  // computed when this reading was kept
  };
  const int64_t min_window_ns_;
  mutable std::mutex mu_;
  std::map<std::string, Kept> kept_;  // guarded by mu_
};

}  // namespace berth::stats
