// Server::StartStats: the collector behind the stats RPCs, within what the
// node probe found (cgroup v1/hybrid or v2), and its disk sampler's thread.
#include <spdlog/spdlog.h>

#include "daemon/gvisor_stats_sampler.h"
#include "daemon/image_manager.h"
#include "daemon/server.h"
#include "daemon/stats_collector.h"
#include "pkg/image/image_fs_info.h"

namespace berth::daemon {

void Server::StartStats() {
  StatsCollector::Options options;
  options.layout.version =
      node_.cgroups.mode == cgroups::Mode::kV2 ? cgroups::Version::kV2 : cgroups::Version::kV1;
  options.disk_sample_interval = std::chrono::seconds(config_.stats.disk_sample_interval_seconds);
  // The same mountpoint ImageFsInfo reports, so the kubelet matches the two.
  const std::string& image_root = images_->image_root();
  Result<std::string> mountpoint = image::MountPointOf(image_root);
  if (mountpoint.ok()) {
    options.image_fs_mountpoint = *mountpoint;
  } else {
    spdlog::warn("stats: no mountpoint for the image store {}: {}", image_root,
                 mountpoint.status().message());
  }
  // gVisor keeps its containers' CPU and memory to itself (their cgroups
  // stay empty): the sampler asks runsc about each running one.
  gvisor_stats_ = std::make_unique<GvisorStatsSampler>(
      [this] {
        std::vector<GvisorStatsSampler::Target> targets;
        const std::vector<std::shared_ptr<Container>> all = containers_.List();
        containers_.Read([&] {
          for (const auto& c : all) {
            if (c->state != runtime::v1::CONTAINER_RUNNING || !c->stage.empty()) continue;
            const oci::OciRuntime runtime = RuntimeFor(*c);
            if (runtime.config().kind != oci::RuntimeKind::kGvisor) continue;
            targets.push_back({c->id, runtime.BaseArgv()});
          }
        });
        return targets;
      },
      options.disk_sample_interval);
  options.runtime_sample = [this](const std::string& id) { return gvisor_stats_->Get(id); };
  stats_ = std::make_unique<StatsCollector>(sandboxes_, containers_, std::move(options));
  stats_->Start();
  gvisor_stats_->Start();
}

}  // namespace berth::daemon
