// Server: owns berthd's state and serves the CRI services on the socket.
//
// The gRPC service classes (runtime_service.cc, image_service.cc) are thin:
// each RPC calls one handler method here, implemented in a file of its own
// RPC family (version.cc, runtime_status.cc, ...).
#pragma once

#include <grpcpp/server.h>

#include <memory>
#include <mutex>
#include <string>

#include "daemon/sandbox.h"
#include "pkg/base/status.h"
#include "pkg/cni/cni_network.h"
#include "pkg/config/config.h"
#include "pkg/oci/exit_file.h"
#include "pkg/oci/runtime_cli.h"
#include "pkg/oci/runtime_router.h"
#include "runtime/v1/api.pb.h"

namespace berth::daemon {

class Listener;
class RuntimeServiceImpl;
class ImageServiceImpl;

class Server {
 public:
  Server(config::Config config, std::string config_path);
  ~Server();

  // Claims the socket and starts serving. Fails if another berthd holds it.
  Status Start();
  // Blocks until Shutdown() completes.
  void Wait();
  // Stops accepting, lets in-flight calls finish (bounded), returns.
  void Shutdown();
  // SIGHUP: re-read the config files and apply the log level.
  void ReloadLogLevel();

  const config::Config& config() const { return config_; }

  // --- handlers, one file per RPC family ---
  Status Version(const runtime::v1::VersionRequest& req, runtime::v1::VersionResponse* resp);
  Status RuntimeStatus(const runtime::v1::StatusRequest& req, runtime::v1::StatusResponse* resp);
  Status RuntimeConfig(const runtime::v1::RuntimeConfigRequest& req,
                       runtime::v1::RuntimeConfigResponse* resp);

  // Pod sandboxes (sandbox_run.cc, sandbox_stop.cc, sandbox_remove.cc, sandbox_status.cc).
  Status RunPodSandbox(const runtime::v1::RunPodSandboxRequest& req,
                       runtime::v1::RunPodSandboxResponse* resp);
  Status StopPodSandbox(const runtime::v1::StopPodSandboxRequest& req,
                        runtime::v1::StopPodSandboxResponse* resp);
  Status RemovePodSandbox(const runtime::v1::RemovePodSandboxRequest& req,
                          runtime::v1::RemovePodSandboxResponse* resp);
  Status PodSandboxStatus(const runtime::v1::PodSandboxStatusRequest& req,
                          runtime::v1::PodSandboxStatusResponse* resp);
  Status ListPodSandbox(const runtime::v1::ListPodSandboxRequest& req,
                        runtime::v1::ListPodSandboxResponse* resp);

  SandboxStore& sandboxes() { return sandboxes_; }

 private:
  // Opens what the handlers use: network, exit watcher, runtime probes.
  Status InitRuntime();
  // Where a sandbox's files live.
  std::string SandboxBundleDir(const std::string& id) const;
  std::string SandboxRunDir(const std::string& id) const;
  std::string ExitDir() const;
  // The OCI runtime CLI a sandbox was bound to at creation.
  oci::OciRuntime RuntimeFor(const Sandbox& sandbox) const;
  // Stops the infra process and releases network, mounts and namespaces.
  Status StopSandboxLocked(Sandbox& sandbox);
  // Writes state.json of a sandbox (atomically).
  Status PersistSandboxState(const Sandbox& sandbox);
  // Finds the sandbox a RunPodSandbox retry refers to (see sandbox_run.cc).
  Status ExplainNameConflict(const std::string& name, const runtime::v1::PodSandboxConfig& config,
                             runtime::v1::RunPodSandboxResponse* resp);
  void OnExit(const oci::ExitInfo& exit);

  SandboxStore sandboxes_;
  oci::RoutingConfig routing_;
  std::string pause_binary_;
  std::unique_ptr<cni::CniNetwork> network_;
  std::unique_ptr<oci::ExitWatcher> exit_watcher_;
  // `runtime features` per handler, probed once at start (for Status).
  std::map<std::string, oci::RuntimeFeatures> features_;

  const config::Config config_;
  const std::string config_path_;
  std::unique_ptr<Listener> listener_;
  std::unique_ptr<RuntimeServiceImpl> runtime_service_;
  std::unique_ptr<ImageServiceImpl> image_service_;
  std::unique_ptr<grpc::Server> grpc_server_;
  std::mutex shutdown_mu_;  // serializes Shutdown() callers
  bool shut_down_ = false;  // guarded by shutdown_mu_
};

}  // namespace berth::daemon
