#include "daemon/server.h"

#include <grpcpp/server_builder.h>
#include <spdlog/spdlog.h>

#include <chrono>

#include "daemon/call_tracker.h"
#include "daemon/container_events.h"
#include "daemon/gvisor_stats_sampler.h"
#include "daemon/image_manager.h"
#include "daemon/image_service.h"
#include "daemon/listener.h"
#include "daemon/pod_cidr_keeper.h"
#include "daemon/rpc_interceptor.h"
#include "daemon/runtime_service.h"
#include "daemon/stats_collector.h"
#include "pkg/fs/atomic_file.h"
#include "pkg/metrics/daemon_metrics.h"
#include "pkg/metrics/metrics_endpoint.h"
#include "pkg/service_manager/notify.h"
#include "pkg/streaming/stream_server.h"

namespace berth::daemon {

namespace {
// In-flight calls get this long to finish on shutdown before they are cancelled.
constexpr auto kShutdownGrace = std::chrono::seconds(10);
// CRI list responses for thousands of objects exceed gRPC's 4 MiB default.
constexpr int kMaxMessageBytes = 16 * 1024 * 1024;
}  // namespace

Server::Server(config::Config config, std::string config_path)
    : config_(std::move(config)), config_path_(std::move(config_path)) {}

Server::~Server() {
  Shutdown();
}

Status Server::Start() {
  // First, so a second berthd fails before it touches any state.
  BERTH_ASSIGN_OR_RETURN(listener_, Listener::Claim(config_.listen));
  BERTH_RETURN_IF_ERROR(Open());

  grpc::ServerBuilder builder;
  listener_->AttachTo(builder);
  builder.RegisterService(runtime_service_.get());
  builder.RegisterService(image_service_.get());
  builder.SetMaxReceiveMessageSize(kMaxMessageBytes);
  builder.SetMaxSendMessageSize(kMaxMessageBytes);
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(std::make_unique<RpcInterceptorFactory>(RpcObservers{
      metrics_.get(), calls_.get(), [this](const std::string& pod, const std::string& ctr) {
        return RuntimeHandlerOf(pod, ctr);
      }}));
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  grpc_server_ = builder.BuildAndStart();
  if (!grpc_server_) return Internal("could not serve on " + config_.listen);
  BERTH_RETURN_IF_ERROR(listener_->Activate());
  // From here subscribers can come: restore's events wait for them a while.
  events_->hub().Serve();

  spdlog::info("berthd serving CRI v1 on {}{}", config_.listen,
               listener_->socket_activated() ? " (socket activated)" : "");
  if (Status s = service_manager::Notify("READY=1"); !s.ok()) spdlog::warn("{}", s.message());
  return OkStatus();
}

Status Server::Open() {
  metrics_ = std::make_shared<metrics::DaemonMetrics>();
  calls_ = std::make_unique<CallTracker>();
  BERTH_RETURN_IF_ERROR(InitRuntime());
  runtime_service_ = std::make_unique<RuntimeServiceImpl>(*this);
  BERTH_ASSIGN_OR_RETURN(images_, ImageManager::Open(config_));
  image_service_ = std::make_unique<ImageServiceImpl>(*images_);
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

void Server::Wait() {
  if (grpc_server_) grpc_server_->Wait();
}

void Server::Shutdown() {
  std::lock_guard<std::mutex> lock(shutdown_mu_);
  if (shut_down_ || !opened_) return;
  shut_down_ = true;
  if (grpc_server_) {
    if (Status s = service_manager::Notify("STOPPING=1"); !s.ok()) spdlog::warn("{}", s.message());
    spdlog::info("shutting down: no new calls, waiting for in-flight calls");
    listener_->StopAccepting();
  }
  // Event streams end now rather than hold the shutdown for its grace.
  if (events_) events_->hub().Close();
  if (grpc_server_) {
    grpc_server_->Shutdown(std::chrono::system_clock::now() + kShutdownGrace);
    spdlog::debug("shutdown: gRPC server stopped");
  }
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
