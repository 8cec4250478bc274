// GvisorStatsSampler: CPU and memory of the containers gVisor runs. runsc
// keeps a pod's containers inside its own kernel, so their host cgroups stay
// empty (runsc makes them only for tools that find containers by cgroup) and
// the cgroup reading says 0; `runsc events --stats <id>` asks the sandbox
// instead. That is a process per container, so it runs on a background
// thread every `interval`, and the stats RPCs only look the last answer up
// (as they do the disk sampler's).
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "pkg/base/periodic_thread.h"
#include "pkg/stats/cgroup_stats.h"

namespace berth::daemon {

class GvisorStatsSampler {
 public:
  struct Target {
    std::string id;
    std::vector<std::string> runtime_argv;  // runsc and its global flags (--root, ...)
  };
  using ListTargets = std::function<std::vector<Target>()>;

  GvisorStatsSampler(ListTargets list, std::chrono::milliseconds interval);
  ~GvisorStatsSampler();  // stops
  GvisorStatsSampler(const GvisorStatsSampler&) = delete;
  GvisorStatsSampler& operator=(const GvisorStatsSampler&) = delete;

  // Starts the thread: a round now, then one every interval.
  void Start();
  // Wakes the thread and joins it; idempotent.
  void Stop();
  // One round on the caller's thread: asks runsc about every target and
  // forgets the figures of containers that are no longer targets.
  void RunRound();

  // The last figures for a container, if runsc gave any.
  std::optional<stats::CgroupSample> Get(const std::string& id) const;

 private:
  const ListTargets list_;
  std::mutex round_mu_;  // serializes rounds
  mutable std::mutex mu_;
  std::map<std::string, stats::CgroupSample> samples_;  // guarded by mu_
  PeriodicThread thread_;                               // last: uses the above
};

}  // namespace berth::daemon
