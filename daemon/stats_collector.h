// StatsCollector: the figures behind ContainerStats, PodSandboxStats and
// their lists, gathered from files only: cgroupfs for CPU, memory, swap and
// processes; /proc/<infra pid>/net/dev for a pod's network; the background
// DiskUsageSampler for writable layers. Nothing here waits on a runtime call
// or walks a directory inside an RPC.
//
// What it keeps: each object's cgroup directory (read once from its
// config.json's linux.cgroupsPath, the path runc was given), the previous CPU
// reading per object (for usage_nano_cores), and the sampler's results. The
// sampler's rounds also drop what belongs to objects that are gone.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "daemon/container.h"
#include "daemon/sandbox.h"
#include "pkg/cgroups/pod_resources.h"
#include "pkg/stats/cgroup_stats.h"
#include "pkg/stats/cpu_rate.h"
#include "pkg/stats/disk_sampler.h"
#include "runtime/v1/api.pb.h"

namespace berth::daemon {

class StatsCollector {
 public:
  struct Options {
    cgroups::Layout layout;
    // ImageFsInfo's mountpoint: writable layers live on the image filesystem.
    std::string image_fs_mountpoint;
    std::chrono::milliseconds disk_sample_interval = std::chrono::seconds(10);
    // A container's CPU and memory from its runtime rather than its cgroup
    // (gVisor's, whose cgroups stay empty: GvisorStatsSampler); nullopt for
    // the others. Unset: cgroups only.
    std::function<std::optional<stats::CgroupSample>(const std::string& id)> runtime_sample;
  };

  StatsCollector(const SandboxStore& sandboxes, const ContainerStore& containers, Options options);

  // The disk sampler's thread.
  void Start();
  void Stop();

  // Attributes; CPU, memory and swap from the container's cgroup when it is
  // readable (a created or running container's; runc removes it at exit);
  // the writable layer once the sampler has measured it (until then it is
  // left out rather than reported as 0).
  void FillContainer(const Container& c, runtime::v1::ContainerStats* out);

  // Attributes; CPU, memory and process count of the pod's cgroup; the
  // network of its namespace (`infra_pid`'s view; none for a host-network
  // pod); and each of `running` (the pod's running containers) as above.
  void FillPod(const Sandbox& s, int infra_pid,
               const std::vector<std::shared_ptr<Container>>& running,
               runtime::v1::PodSandboxStats* out);

  // For tests: one sampler round now.
  void SampleDisksNow() { disks_.RunRound(); }

 private:
  // The cgroup directory of the object whose config.json is in `bundle_dir`.
  Result<std::string> CgroupDirOf(const std::string& id, const std::string& bundle_dir);
  std::optional<stats::CgroupSample> ReadObjectCgroup(const std::string& id,
                                                      const std::string& bundle_dir);
  // The runtime's figures for a running container when it has some, else
  // `cgroup`.
  std::optional<stats::CgroupSample> ContainerFigures(
      const Container& c, const std::optional<stats::CgroupSample>& cgroup) const;
  void FillContainerFrom(const Container& c, const std::optional<stats::CgroupSample>& sample,
                         runtime::v1::ContainerStats* out);
  // CPU (rate kept under `rate_key`) and memory of a reading.
  void FillCpu(const std::string& rate_key, const stats::CgroupSample& sample,
               runtime::v1::CpuUsage* out);
  // The sampler's targets (created and running containers' upper dirs); it
  // also forgets cached paths and CPU readings of objects that are gone.
  std::vector<stats::DiskUsageSampler::Target> DiskTargets();

  const SandboxStore& sandboxes_;
  const ContainerStore& containers_;
  const Options options_;
  const stats::CgroupReader reader_;
  stats::CpuRateTracker cpu_rates_;  // its own lock
  std::mutex mu_;
  std::map<std::string, std::string> cgroup_dirs_;  // object ID -> dir; guarded by mu_
  stats::DiskUsageSampler disks_;                   // last: its thread uses the members above
};

}  // namespace berth::daemon
