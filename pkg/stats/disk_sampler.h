// DiskUsageSampler: measures directory trees (containers' writable layers)
// on a background thread, so that stats RPCs only look results up and never
// walk a tree themselves.
//
// Every `interval` a round asks for the current targets, forgets those that
// are gone, and measures targets in turn (round robin, resuming where the
// last round stopped) until it has visited `entries_per_round` directory
// entries; a tree larger than that is measured over several rounds and its
// result appears when its walk ends. A target's result is its last complete
// walk; a target with none yet has no result.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "pkg/base/periodic_thread.h"
#include "pkg/stats/disk_usage.h"

namespace berth::stats {

class DiskUsageSampler {
 public:
  struct Target {
    std::string id;
    std::string dir;
  };
  struct Sample {
    DiskUsage usage;
    int64_t timestamp_ns = 0;  // wall clock, when the walk ended
  };
  struct Options {
    std::chrono::milliseconds interval = std::chrono::seconds(10);
    size_t entries_per_round = 100000;
  };
  using ListTargets = std::function<std::vector<Target>()>;

  DiskUsageSampler(ListTargets list, Options options);
  ~DiskUsageSampler();
  DiskUsageSampler(const DiskUsageSampler&) = delete;
  DiskUsageSampler& operator=(const DiskUsageSampler&) = delete;

  // Starts the thread: a round now, then one every interval.
  void Start();
  // Wakes the thread and joins it; idempotent.
  void Stop();
  // One round on the caller's thread. Rounds never overlap: a call while the
  // thread is in a round waits for it.
  void RunRound();

  std::optional<Sample> Get(const std::string& id) const;

 private:
  const ListTargets list_;
  const Options options_;

  std::mutex round_mu_;                      // serializes rounds; guards the fields below it
  std::map<std::string, std::string> dirs_;  // id -> dir
  std::map<std::string, std::unique_ptr<DiskUsageWalk>> walks_;  // unfinished
  std::string cursor_;  // the target the next round starts at ("" = the first)

  mutable std::mutex mu_;
  std::map<std::string, Sample> results_;  // guarded by mu_

  PeriodicThread thread_{options_.interval, [this] { RunRound(); }};  // last: uses the above
};

}  // namespace berth::stats
