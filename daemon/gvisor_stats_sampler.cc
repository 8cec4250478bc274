#include "daemon/gvisor_stats_sampler.h"

#include <spdlog/spdlog.h>

#include <set>

#include "pkg/process/run.h"
#include "pkg/stats/clock.h"
#include "pkg/stats/runsc_stats.h"

namespace berth::daemon {
namespace {

// `runsc events --stats` answers from the sandbox's control socket at once; a
// sandbox that does not answer within this is skipped until the next round.
constexpr std::chrono::seconds kEventsTimeout(5);
// The event is a few hundred bytes.
constexpr size_t kEventsOutputLimit = 64 << 10;

}  // namespace

GvisorStatsSampler::GvisorStatsSampler(ListTargets list, std::chrono::milliseconds interval)
    : list_(std::move(list)), thread_(interval, [this] { RunRound(); }) {}

GvisorStatsSampler::~GvisorStatsSampler() {
  Stop();
}

void GvisorStatsSampler::Start() {
  thread_.Start();
}

void GvisorStatsSampler::Stop() {
  thread_.Stop();
}

void GvisorStatsSampler::RunRound() {
  std::lock_guard<std::mutex> round(round_mu_);
  const std::vector<Target> targets = list_();
  std::map<std::string, stats::CgroupSample> fresh;
  for (const Target& t : targets) {
    if (thread_.stopping()) return;
    process::RunOptions run;
    run.argv = t.runtime_argv;
    for (const char* arg : {"events", "--stats"}) run.argv.push_back(arg);
    run.argv.push_back(t.id);
    run.timeout = kEventsTimeout;
    run.stdout_limit = kEventsOutputLimit;
    run.stderr_limit = kEventsOutputLimit;
    run.cancel = CancelToken();  // the round's own work, for no caller
    const int64_t now = stats::WallClockNanos();
    Result<process::RunResult> r = process::RunToCompletion(run);
    if (!r.ok() || !r->success()) {
      // Between a container's exit and the next listing, runsc no longer
      // knows it: not worth more than a debug line.
      spdlog::debug("stats: runsc events for {}: {}", t.id,
                    r.ok() ? r->Describe() + ": " + r->err : r.status().message());
      continue;
    }
    Result<stats::CgroupSample> sample = stats::ParseRunscStatsEvent(r->out, now);
    if (!sample.ok()) {
      spdlog::warn("stats: container {}: {}", t.id, sample.status().message());
      continue;
    }
    fresh[t.id] = *sample;
  }
  std::set<std::string> listed;
  for (const Target& t : targets) listed.insert(t.id);
  std::lock_guard<std::mutex> lock(mu_);
  // A target runsc did not answer for keeps its last figures for a round.
  std::erase_if(samples_, [&](const auto& kv) { return !listed.contains(kv.first); });
  for (auto& [id, sample] : fresh) samples_[id] = std::move(sample);
}

std::optional<stats::CgroupSample> GvisorStatsSampler::Get(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = samples_.find(id);
  if (it == samples_.end()) return std::nullopt;
  return it->second;
}

}  // namespace berth::daemon
