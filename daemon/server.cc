// The Server's transport: the CRI socket and the gRPC server with its two
// services and the interceptor. Everything else the Server does, from Open()
// to Shutdown(), is in server_lifecycle.cc and builds without gRPC.
#include <grpcpp/server_builder.h>
#include <spdlog/spdlog.h>

#include <chrono>

#include "daemon/container_events.h"
#include "daemon/image_service.h"
#include "daemon/listener.h"
#include "daemon/rpc_interceptor.h"
#include "daemon/runtime_service.h"
#include "daemon/server.h"
#include "pkg/service_manager/notify.h"

namespace berth::daemon {

namespace {
// In-flight calls get this long to finish on shutdown before they are cancelled.
constexpr auto kShutdownGrace = std::chrono::seconds(10);
// CRI list responses for thousands of objects exceed gRPC's 4 MiB default.
constexpr int kMaxMessageBytes = 16 * 1024 * 1024;
}  // namespace

struct Server::Transport {
  std::unique_ptr<Listener> listener;
  std::unique_ptr<RuntimeServiceImpl> runtime_service;
  std::unique_ptr<ImageServiceImpl> image_service;
  std::unique_ptr<grpc::Server> grpc_server;
};

void Server::TransportDeleter::operator()(Transport* transport) const {
  delete transport;
}

Status Server::Start() {
  auto transport = std::unique_ptr<Transport, TransportDeleter>(new Transport);
  // First, so a second berthd fails before it touches any state.
  BERTH_ASSIGN_OR_RETURN(transport->listener, Listener::Claim(config_.listen));
  BERTH_RETURN_IF_ERROR(Open());
  // The services only forward to the handlers Open() made ready.
  transport->runtime_service = std::make_unique<RuntimeServiceImpl>(*this);
  transport->image_service = std::make_unique<ImageServiceImpl>(*images_);

  grpc::ServerBuilder builder;
  transport->listener->AttachTo(builder);
  builder.RegisterService(transport->runtime_service.get());
  builder.RegisterService(transport->image_service.get());
  builder.SetMaxReceiveMessageSize(kMaxMessageBytes);
  builder.SetMaxSendMessageSize(kMaxMessageBytes);
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(std::make_unique<RpcInterceptorFactory>(RpcObservers{
      metrics_.get(), calls_.get(), [this](const std::string& pod, const std::string& ctr) {
        return RuntimeHandlerOf(pod, ctr);
      }}));
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  transport->grpc_server = builder.BuildAndStart();
  if (!transport->grpc_server) return Internal("could not serve on " + config_.listen);
  BERTH_RETURN_IF_ERROR(transport->listener->Activate());
  bool socket_activated = transport->listener->socket_activated();
  {
    // Shutdown() may run on another thread (a signal) once Open() succeeded.
    std::lock_guard<std::mutex> lock(shutdown_mu_);
    transport_ = std::move(transport);
  }
  // From here subscribers can come: restore's events wait for them a while.
  events_->hub().Serve();

  spdlog::info("berthd serving CRI v1 on {}{}", config_.listen,
               socket_activated ? " (socket activated)" : "");
  if (Status s = service_manager::Notify("READY=1"); !s.ok()) spdlog::warn("{}", s.message());
  return OkStatus();
}

void Server::Wait() {
  grpc::Server* server = nullptr;
  {
    std::lock_guard<std::mutex> lock(shutdown_mu_);
    if (transport_) server = transport_->grpc_server.get();
  }
  if (server) server->Wait();
}

void Server::StopAccepting() {
  if (Status s = service_manager::Notify("STOPPING=1"); !s.ok()) spdlog::warn("{}", s.message());
  spdlog::info("shutting down: no new calls, waiting for in-flight calls");
  transport_->listener->StopAccepting();
}

void Server::StopServing() {
  transport_->grpc_server->Shutdown(std::chrono::system_clock::now() + kShutdownGrace);
  spdlog::debug("shutdown: gRPC server stopped");
}

}  // namespace berth::daemon
