// The Server from Open() to Shutdown(), without its transport (server.cc):
// everything the handlers stand on, the streaming endpoint, SIGHUP's reload.
#include <spdlog/spdlog.h>

#include <ctime>

#include "daemon/call_tracker.h"
#include "daemon/container_events.h"
#include "daemon/gvisor_stats_sampler.h"
#include "daemon/image_manager.h"
#include "daemon/pod_cidr_keeper.h"
#include "daemon/server.h"
#include "daemon/stats_collector.h"
#include "pkg/fs/atomic_file.h"
#include "pkg/metrics/daemon_metrics.h"
#include "pkg/metrics/metrics_endpoint.h"
#include "pkg/streaming/stream_server.h"

namespace berth::daemon {

Server::Server(config::Config config, std::string config_path)
    : config_(std::move(config)), config_path_(std::move(config_path)) {}

Server::~Server() {
  Shutdown();
}

Status Server::Open() {
  metrics_ = std::make_shared<metrics::DaemonMetrics>();
  calls_ = std::make_unique<CallTracker>();
  BERTH_RETURN_IF_ERROR(InitRuntime());
  BERTH_ASSIGN_OR_RETURN(images_, ImageManager::Open(config_));
  images_->SetInUseCheck([this](const std::string& image_id) { return ImageInUse(image_id); });
  // Before restore, which it times; a taken address fails the start here.
  BERTH_RETURN_IF_ERROR(StartMetrics());
  // Before restore, which announces what changed while berthd was down.
  InitEvents();
  // Memory from disk, then exits: the watcher reports every exit file present
  // when it starts, so exits during restore are not missed.
  BERTH_RETURN_IF_ERROR(Restore());
  BERTH_RETURN_IF_ERROR(exit_watcher_->Start());
  StartStats();
  BERTH_RETURN_IF_ERROR(StartStreamServer());
  opened_ = true;
  return OkStatus();
}

void Server::Shutdown() {
  std::lock_guard<std::mutex> lock(shutdown_mu_);
  if (shut_down_ || !opened_) return;
  shut_down_ = true;
  if (transport_) StopAccepting();
  // Event streams end now rather than hold the shutdown for its grace.
  if (events_) events_->hub().Close();
  if (transport_) StopServing();
  // Open exec/attach/port-forward sessions end (their execs are killed).
  if (stream_server_) stream_server_->Stop();
  if (stats_) stats_->Stop();
  if (gvisor_stats_) gvisor_stats_->Stop();
  if (exit_watcher_) exit_watcher_->Stop();
  if (network_) network_->StopWatching();
  spdlog::debug("shutdown: watchers stopped");
  // Removals already answered finish now: a clean stop leaves none to restore.
  reaper_->Drain();
  // Containers keep running (conmon holds them); the marker tells the next
  // start that this one ended cleanly.
  if (Status m = WriteFileAtomic(config_.shutdown_file, std::to_string(time(nullptr)) + "\n", 0644);
      !m.ok()) {
    spdlog::warn("shutdown: {}", m.message());
  }
}

Status Server::StartStreamServer() {
  streaming::ServerOptions options;
  options.address = config_.stream.address;
  options.port = config_.stream.port;
  options.tls_cert_file = config_.stream.tls_cert_file;
  options.tls_key_file = config_.stream.tls_key_file;
  options.idle_timeout = std::chrono::seconds(config_.stream.idle_timeout_seconds);
  streaming::Handlers handlers;
  handlers.exec = [this](const streaming::StreamRequest& req, streaming::ExecIo& io) {
    return req.kind == streaming::StreamKind::kAttach ? StreamAttach(req, io) : StreamExec(req, io);
  };
  handlers.dial = [this](const streaming::StreamRequest& req, uint16_t port) {
    return DialPod(req, port);
  };
  stream_server_ = std::make_unique<streaming::StreamServer>(options, std::move(handlers));
  return stream_server_->Start();
}

void Server::ReloadLogLevel() {
  Result<config::Config> fresh = config::Load(config_path_, false);
  if (!fresh.ok()) {
    spdlog::error("SIGHUP: keeping log level {}: {}", config_.log_level, fresh.status().ToString());
    return;
  }
  // Say so at whichever of the old and new levels is more verbose, so the
  // line is written in both directions of the change.
  if (fresh->metrics.address != config_.metrics.address) {
    spdlog::warn("SIGHUP: metrics.address \"{}\" takes effect at the next start; serving on \"{}\"",
                 fresh->metrics.address, config_.metrics.address);
  }
  auto level = spdlog::level::from_str(fresh->log_level);
  bool quieter = level > spdlog::get_level();
  if (quieter) spdlog::info("SIGHUP: log level is now {}", fresh->log_level);
  spdlog::set_level(level);
  if (!quieter) spdlog::info("SIGHUP: log level is now {}", fresh->log_level);
}

}  // namespace berth::daemon
