#include "pkg/stats/disk_sampler.h"

#include <algorithm>

#include "pkg/stats/clock.h"

namespace berth::stats {

DiskUsageSampler::DiskUsageSampler(ListTargets list, Options options)
    : list_(std::move(list)), options_(options) {}

DiskUsageSampler::~DiskUsageSampler() {
  Stop();
}

void DiskUsageSampler::Start() {
  thread_.Start();
}

void DiskUsageSampler::Stop() {
  thread_.Stop();
}

void DiskUsageSampler::RunRound() {
  std::lock_guard<std::mutex> round(round_mu_);
  // 1. The current targets; forget the rest (results and unfinished walks).
  std::map<std::string, std::string> now;
  for (Target& t : list_()) now.emplace(std::move(t.id), std::move(t.dir));
  std::erase_if(walks_, [&](const auto& kv) {
    auto it = now.find(kv.first);
    return it == now.end() || it->second != dirs_[kv.first];
  });
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::erase_if(results_, [&](const auto& kv) { return !now.contains(kv.first); });
  }
  dirs_ = std::move(now);
  if (dirs_.empty()) return;

  // 2. Each target once, from the cursor round to just before it, until the
  // entry budget is spent; the target that spends it is resumed next round.
  size_t budget = options_.entries_per_round;
  auto start = dirs_.lower_bound(cursor_);
  if (start == dirs_.end()) start = dirs_.begin();
  auto it = start;
  do {
    const std::string& id = it->first;
    std::unique_ptr<DiskUsageWalk>& walk = walks_[id];
    if (!walk) {
      Result<std::unique_ptr<DiskUsageWalk>> begun = DiskUsageWalk::Begin(it->second);
      // Not there (yet, or any more): nothing to report for it this round.
      if (!begun.ok()) {
        walks_.erase(id);
        if (++it == dirs_.end()) it = dirs_.begin();
        continue;
      }
      walk = std::move(*begun);
    }
    budget -= walk->Step(budget);
    if (!walk->done()) {
      cursor_ = id;
      return;
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      results_[id] = Sample{walk->usage(), WallClockNanos()};
    }
    walks_.erase(id);
    if (++it == dirs_.end()) it = dirs_.begin();
  } while (it != start && budget > 0);
  cursor_ = it->first;
}

std::optional<DiskUsageSampler::Sample> DiskUsageSampler::Get(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = results_.find(id);
  if (it == results_.end()) return std::nullopt;
  return it->second;
}

}  // namespace berth::stats
