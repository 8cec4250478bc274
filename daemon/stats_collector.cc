#include "daemon/stats_collector.h"

#include <spdlog/spdlog.h>

#include <set>

#include "daemon/object_ids.h"
#include "pkg/fs/atomic_file.h"
#include "pkg/stats/cgroup_path.h"
#include "pkg/stats/net_dev.h"

namespace berth::daemon {

namespace rt = runtime::v1;

namespace {

// A pod's network figures name this interface as the default one: the
// interface CNI is asked to create in every pod.
constexpr char kDefaultInterface[] = "eth0";
// A pod's CPU rate is kept beside its containers' under this prefix.
constexpr char kPodRateKey[] = "pod/";
// config.json files are a few KiB; a bigger one is not berth's.
constexpr size_t kMaxSpecBytes = 4 << 20;

void FillMemory(const stats::CgroupSample& s, rt::MemoryUsage* out) {
  const stats::MemoryStats& m = *s.memory;
  out->set_timestamp(s.timestamp_ns);
  out->mutable_working_set_bytes()->set_value(m.working_set_bytes);
  if (std::optional<uint64_t> available = m.AvailableBytes()) {
    out->mutable_available_bytes()->set_value(*available);
  }
  out->mutable_usage_bytes()->set_value(m.usage_bytes);
  out->mutable_rss_bytes()->set_value(m.rss_bytes);
  out->mutable_page_faults()->set_value(m.page_faults);
  out->mutable_major_page_faults()->set_value(m.major_page_faults);
}

void FillSwap(const stats::CgroupSample& s, rt::SwapUsage* out) {
  out->set_timestamp(s.timestamp_ns);
  out->mutable_swap_usage_bytes()->set_value(s.swap->usage_bytes);
  if (std::optional<uint64_t> available = s.swap->AvailableBytes()) {
    out->mutable_swap_available_bytes()->set_value(*available);
  }
}

void FillInterface(const stats::InterfaceStats& i, rt::NetworkInterfaceUsage* out) {
  out->set_name(i.name);
  out->mutable_rx_bytes()->set_value(i.rx_bytes);
  out->mutable_rx_errors()->set_value(i.rx_errors);
  out->mutable_tx_bytes()->set_value(i.tx_bytes);
  out->mutable_tx_errors()->set_value(i.tx_errors);
}

bool HostNetwork(const Sandbox& s) {
  return s.config.linux().security_context().namespace_options().network() == rt::NODE;
}

}  // namespace

StatsCollector::StatsCollector(const SandboxStore& sandboxes, const ContainerStore& containers,
                               Options options)
    : sandboxes_(sandboxes),
      containers_(containers),
      options_(std::move(options)),
      reader_(options_.layout),
      disks_([this] { return DiskTargets(); },
             stats::DiskUsageSampler::Options{options_.disk_sample_interval, 100000}) {}

void StatsCollector::Start() {
  disks_.Start();
}
void StatsCollector::Stop() {
  disks_.Stop();
}

Result<std::string> StatsCollector::CgroupDirOf(const std::string& id,
                                                const std::string& bundle_dir) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto it = cgroup_dirs_.find(id); it != cgroup_dirs_.end()) return it->second;
  }
  // Read outside the lock; two callers racing read the same file.
  BERTH_ASSIGN_OR_RETURN(std::string spec, ReadFile(bundle_dir + "/config.json", kMaxSpecBytes));
  BERTH_ASSIGN_OR_RETURN(std::string path, stats::SpecCgroupsPath(spec));
  BERTH_ASSIGN_OR_RETURN(std::string dir, stats::CgroupDirOf(path));
  std::lock_guard<std::mutex> lock(mu_);
  cgroup_dirs_[id] = dir;
  return dir;
}

std::optional<stats::CgroupSample> StatsCollector::ReadObjectCgroup(const std::string& id,
                                                                    const std::string& bundle_dir) {
  Result<std::string> dir = CgroupDirOf(id, bundle_dir);
  if (!dir.ok()) {
    spdlog::debug("stats: no cgroup for {}: {}", id, dir.status().message());
    return std::nullopt;
  }
  Result<stats::CgroupSample> sample = reader_.Read(*dir);
  if (!sample.ok()) return std::nullopt;  // not created yet, or removed at exit
  return *sample;
}

void StatsCollector::FillCpu(const std::string& rate_key, const stats::CgroupSample& sample,
                             rt::CpuUsage* out) {
  out->set_timestamp(sample.timestamp_ns);
  out->mutable_usage_core_nano_seconds()->set_value(*sample.cpu_usage_ns);
  // Left out (not 0) until a second reading makes a rate: 0 would read as idle.
  if (std::optional<uint64_t> rate =
          cpu_rates_.Update(rate_key, sample.timestamp_ns, *sample.cpu_usage_ns)) {
    out->mutable_usage_nano_cores()->set_value(*rate);
  }
}

std::optional<stats::CgroupSample> StatsCollector::ContainerFigures(
    const Container& c, const std::optional<stats::CgroupSample>& cgroup) const {
  if (!options_.runtime_sample) return cgroup;
  // The sampler's last figures may predate an exit.
  if (containers_.Read([&] { return c.state; }) != rt::CONTAINER_RUNNING) return cgroup;
  std::optional<stats::CgroupSample> own = options_.runtime_sample(c.id);
  return own ? own : cgroup;
}

void StatsCollector::FillContainer(const Container& c, rt::ContainerStats* out) {
  FillContainerFrom(c, ContainerFigures(c, ReadObjectCgroup(c.id, c.bundle_dir)), out);
}

void StatsCollector::FillContainerFrom(const Container& c,
                                       const std::optional<stats::CgroupSample>& sample,
                                       rt::ContainerStats* out) {
  rt::ContainerAttributes* a = out->mutable_attributes();
  a->set_id(c.id);
  *a->mutable_metadata() = c.config.metadata();
  *a->mutable_labels() = c.config.labels();
  *a->mutable_annotations() = c.config.annotations();
  if (sample) {
    if (sample->cpu_usage_ns) FillCpu(c.id, *sample, out->mutable_cpu());
    if (sample->memory) FillMemory(*sample, out->mutable_memory());
    if (sample->swap) FillSwap(*sample, out->mutable_swap());
  }
  if (std::optional<stats::DiskUsageSampler::Sample> disk = disks_.Get(c.id)) {
    rt::FilesystemUsage* fs = out->mutable_writable_layer();
    fs->set_timestamp(disk->timestamp_ns);
    fs->mutable_fs_id()->set_mountpoint(options_.image_fs_mountpoint);
    fs->mutable_used_bytes()->set_value(disk->usage.bytes);
    fs->mutable_inodes_used()->set_value(disk->usage.inodes);
  }
}

void StatsCollector::FillPod(const Sandbox& s, int infra_pid,
                             const std::vector<std::shared_ptr<Container>>& running,
                             rt::PodSandboxStats* out) {
  rt::PodSandboxAttributes* a = out->mutable_attributes();
  a->set_id(s.id);
  *a->mutable_metadata() = s.config.metadata();
  *a->mutable_labels() = s.config.labels();
  *a->mutable_annotations() = s.config.annotations();
  rt::LinuxPodSandboxStats* linux_stats = out->mutable_linux();

  // 1. The containers, each read once: their cgroup readings also make up
  //    the pod's when it has no cgroup of its own (a runtime's own figures
  //    do not: gVisor's containers are in its infra's cgroup already).
  std::vector<std::optional<stats::CgroupSample>> parts;
  parts.reserve(running.size());
  for (const auto& c : running) {
    parts.push_back(ReadObjectCgroup(c->id, c->bundle_dir));
    FillContainerFrom(*c, ContainerFigures(*c, parts.back()), linux_stats->add_containers());
  }

  // 2. The pod's cgroup is its linux.cgroup_parent (the kubelet makes one per
  //    pod). Without one, the pod's processes live in berth's shared default
  //    parent beside other pods', so the pod is the sum of its infra's cgroup
  //    and its running containers'.
  std::optional<stats::CgroupSample> pod;
  if (const std::string& parent = s.config.linux().cgroup_parent(); !parent.empty()) {
    Result<std::string> dir = stats::PodCgroupDirOf(parent);
    Result<stats::CgroupSample> own =
        dir.ok() ? reader_.Read(*dir) : Result<stats::CgroupSample>(dir.status());
    if (own.ok()) pod = *own;
  }
  if (!pod) {
    stats::CgroupSample total;
    total.timestamp_ns = NowNs();
    bool any = false;
    if (std::optional<stats::CgroupSample> infra = ReadObjectCgroup(s.id, s.bundle_dir)) {
      stats::Accumulate(*infra, &total);
      any = true;
    }
    for (const auto& part : parts) {
      if (!part) continue;
      stats::Accumulate(*part, &total);
      any = true;
    }
    if (any) pod = total;
  }
  if (pod) {
    if (pod->cpu_usage_ns) FillCpu(kPodRateKey + s.id, *pod, linux_stats->mutable_cpu());
    if (pod->memory) FillMemory(*pod, linux_stats->mutable_memory());
    if (pod->process_count) {
      linux_stats->mutable_process()->set_timestamp(pod->timestamp_ns);
      linux_stats->mutable_process()->mutable_process_count()->set_value(*pod->process_count);
    }
  }

  // 3. Network: the pod's namespace as its infra process sees it. A
  //    host-network pod has none of its own (the node's would be
  //    misattributed to it); loopback is not pod traffic.
  if (HostNetwork(s) || infra_pid <= 0) return;
  Result<std::vector<stats::InterfaceStats>> ifaces = stats::ReadNetDev(infra_pid);
  if (!ifaces.ok()) {
    spdlog::debug("stats: pod {} network: {}", s.id, ifaces.status().message());
    return;
  }
  rt::NetworkUsage* net = linux_stats->mutable_network();
  net->set_timestamp(NowNs());
  for (const stats::InterfaceStats& i : *ifaces) {
    if (i.name == "lo") continue;
    FillInterface(
        i, i.name == kDefaultInterface ? net->mutable_default_interface() : net->add_interfaces());
  }
}

std::vector<stats::DiskUsageSampler::Target> StatsCollector::DiskTargets() {
  std::set<std::string> live;
  for (const auto& s : sandboxes_.List()) live.insert(s->id);
  std::vector<stats::DiskUsageSampler::Target> targets;
  const std::vector<std::shared_ptr<Container>> all = containers_.List();
  containers_.Read([&] {
    for (const auto& c : all) {
      live.insert(c->id);
      const bool measured = c->stage.empty() && (c->state == rt::CONTAINER_CREATED ||
                                                 c->state == rt::CONTAINER_RUNNING);
      // The overlay upper dir holds everything the container wrote.
      if (measured) targets.push_back({c->id, c->bundle_dir + "/upper"});
    }
  });
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::erase_if(cgroup_dirs_, [&](const auto& kv) { return !live.contains(kv.first); });
  }
  cpu_rates_.Retain([&](const std::string& key) {
    const std::string id = key.starts_with(kPodRateKey) ? key.substr(sizeof kPodRateKey - 1) : key;
    return live.contains(id);
  });
  return targets;
}

}  // namespace berth::daemon
