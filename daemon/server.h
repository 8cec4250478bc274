// Server: owns berthd's state and serves the CRI services on the socket.
//
// The gRPC service classes (runtime_service.cc, image_service.cc) are thin:
// each RPC calls one handler method here, implemented in a file of its own
// RPC family (version.cc, runtime_status.cc, ...).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "daemon/container.h"
#include "daemon/platform_hooks.h"
#include "daemon/removal_reaper.h"
#include "daemon/sandbox.h"
#include "pkg/base/status.h"
#include "pkg/cni/cni_network.h"
#include "pkg/config/config.h"
#include "pkg/oci/conmon.h"
#include "pkg/oci/container_spec.h"
#include "pkg/oci/exit_file.h"
#include "pkg/oci/node_profile.h"
#include "pkg/oci/runtime_cli.h"
#include "pkg/oci/runtime_router.h"
#include "pkg/streaming/channels.h"
#include "runtime/v1/api.pb.h"

namespace berth::streaming {
class StreamServer;
}

namespace berth::metrics {
class DaemonMetrics;
class MetricsEndpoint;
}  // namespace berth::metrics

namespace berth::daemon {

class ImageManager;
class StatsCollector;
class CallTracker;
class ContainerEvents;
class PodCidrKeeper;
class GvisorStatsSampler;

// Removes an exec's process and pid files (see WriteExecProcess).
struct ExecFilesCleanup {
  std::string base;
  ~ExecFilesCleanup();
};

class Server {
 public:
  Server(config::Config config, std::string config_path);
  ~Server();

  // Claims the socket, Open()s and starts serving. Fails if another berthd
  // holds the socket.
  Status Start();
  // What Start does besides the socket and gRPC: opens everything the
  // handlers stand on (runtime probes, pod network, image store, events,
  // restore, exit watcher, stats, the streaming endpoint). Handler unit tests
  // call it and then the handlers directly; with root, runroot and CNI
  // directories of its own and a fake runtime it needs no root.
  Status Open();
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
  // The pod CIDR (runtime_config_update.cc, PodCidrKeeper).
  Status UpdateRuntimeConfig(const runtime::v1::UpdateRuntimeConfigRequest& req,
                             runtime::v1::UpdateRuntimeConfigResponse* resp);

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
  // The same answer, serialized: appended to `encoded` from each pod's
  // ListEntryCache (what the RPC sends; ListPodSandbox is for callers here).
  Status ListPodSandboxEncoded(const runtime::v1::ListPodSandboxRequest& req, std::string* encoded);
  // sandbox_update.cc
  Status UpdatePodSandboxResources(const runtime::v1::UpdatePodSandboxResourcesRequest& req,
                                   runtime::v1::UpdatePodSandboxResourcesResponse* resp);

  // Containers (container_create.cc, container_start.cc, container_stop.cc,
  // container_remove.cc, container_status.cc, container_exec.cc,
  // container_update.cc).
  Status CreateContainer(const runtime::v1::CreateContainerRequest& req,
                         runtime::v1::CreateContainerResponse* resp);
  Status StartContainer(const runtime::v1::StartContainerRequest& req,
                        runtime::v1::StartContainerResponse* resp);
  Status StopContainer(const runtime::v1::StopContainerRequest& req,
                       runtime::v1::StopContainerResponse* resp);
  Status RemoveContainer(const runtime::v1::RemoveContainerRequest& req,
                         runtime::v1::RemoveContainerResponse* resp);
  Status ContainerStatus(const runtime::v1::ContainerStatusRequest& req,
                         runtime::v1::ContainerStatusResponse* resp);
  Status ListContainers(const runtime::v1::ListContainersRequest& req,
                        runtime::v1::ListContainersResponse* resp);
  // The same answer, serialized, from each container's ListEntryCache.
  Status ListContainersEncoded(const runtime::v1::ListContainersRequest& req, std::string* encoded);
  Status ExecSync(const runtime::v1::ExecSyncRequest& req, runtime::v1::ExecSyncResponse* resp);
  Status UpdateContainerResources(const runtime::v1::UpdateContainerResourcesRequest& req,
                                  runtime::v1::UpdateContainerResourcesResponse* resp);
  Status ReopenContainerLog(const runtime::v1::ReopenContainerLogRequest& req,
                            runtime::v1::ReopenContainerLogResponse* resp);
  // Streaming (container_stream.cc): each answers a URL the client upgrades.
  Status Exec(const runtime::v1::ExecRequest& req, runtime::v1::ExecResponse* resp);
  Status Attach(const runtime::v1::AttachRequest& req, runtime::v1::AttachResponse* resp);
  Status PortForward(const runtime::v1::PortForwardRequest& req,
                     runtime::v1::PortForwardResponse* resp);
  // Stats (container_stats.cc, sandbox_stats.cc).
  Status ContainerStats(const runtime::v1::ContainerStatsRequest& req,
                        runtime::v1::ContainerStatsResponse* resp);
  Status ListContainerStats(const runtime::v1::ListContainerStatsRequest& req,
                            runtime::v1::ListContainerStatsResponse* resp);
  Status PodSandboxStats(const runtime::v1::PodSandboxStatsRequest& req,
                         runtime::v1::PodSandboxStatsResponse* resp);
  Status ListPodSandboxStats(const runtime::v1::ListPodSandboxStatsRequest& req,
                             runtime::v1::ListPodSandboxStatsResponse* resp);
  // cAdvisor-style metrics from the same samples (pod_metrics.cc).
  Status ListMetricDescriptors(const runtime::v1::ListMetricDescriptorsRequest& req,
                               runtime::v1::ListMetricDescriptorsResponse* resp);
  Status ListPodSandboxMetrics(const runtime::v1::ListPodSandboxMetricsRequest& req,
                               runtime::v1::ListPodSandboxMetricsResponse* resp);
  // GetContainerEvents (container_events.cc): `write`s each lifecycle event
  // until the client goes (`write` fails or `cancelled()`), is dropped for
  // falling behind, or berthd shuts down. `peer` names the client in logs;
  // `subscribed` runs once nothing published from then on can be missed.
  Status StreamContainerEvents(
      const std::function<void()>& subscribed, const std::function<bool()>& cancelled,
      const std::function<bool(const runtime::v1::ContainerEventResponse&)>& write,
      const std::string& peer);

  // Re-syncs memory with disk (restore.cc): loads objects that appeared,
  // forgets those that vanished. Restore() runs it at start-up.
  Status Update();

  SandboxStore& sandboxes() { return sandboxes_; }
  ContainerStore& containers() { return containers_; }

 private:
  // What a List filter picks by its fixed parts (ID, pod, labels); the state
  // and the creation stage are checked under the store's lock
  // (container_status.cc, sandbox_status.cc).
  std::vector<std::shared_ptr<Container>> ListCandidates(
      const runtime::v1::ContainerFilter& filter);
  std::vector<std::shared_ptr<Sandbox>> ListCandidates(const runtime::v1::PodSandboxFilter& filter);
  // Opens what the handlers use: network, exit watcher, runtime probes.
  Status InitRuntime();
  // The stats RPCs' collector and its disk sampler (stats_setup.cc).
  void StartStats();
  // The exec/attach/port-forward endpoint (config "stream").
  Status StartStreamServer();
  // Metrics (metrics_setup.cc): what is read at scrape time, and the
  // endpoint when "metrics.address" is set.
  Status StartMetrics();
  // The runtime handler of the pod an ID (prefix) names, for RPC metrics.
  std::string RuntimeHandlerOf(const std::string& pod_id, const std::string& container_id) const;
  // The cgroup driver the config names.
  oci::CgroupManager CgroupDriver() const;
  bool SystemdCgroups() const { return CgroupDriver() == oci::CgroupManager::kSystemd; }
  // conmon as configured, and its create request for an object (pod infra or
  // container) whose files live in `bundle` and `run_dir`.
  oci::ConmonDriver Conmon() const;
  oci::ConmonCreateRequest ConmonRequestFor(const std::string& id, const std::string& name,
                                            const std::string& bundle, const std::string& run_dir,
                                            const std::string& log_path) const;
  // Removes an object's bundle and run dir (unmounting what is still mounted
  // inside) and its exit file; the first failure is returned, the rest tried.
  Status RemoveObjectFiles(const std::string& id, const std::string& bundle,
                           const std::string& run_dir) const;
  // Where a sandbox's files live.
  std::string SandboxBundleDir(const std::string& id) const;
  std::string SandboxRunDir(const std::string& id) const;
  std::string ExitDir() const;
  // The OCI runtime CLI a sandbox was bound to at creation.
  oci::OciRuntime RuntimeFor(const Sandbox& sandbox) const;
  // The runtime CLI for a recorded (name, path, root).
  oci::OciRuntime RuntimeNamed(const std::string& name, const std::string& path,
                               const std::string& root) const;
  // Stops the infra process and releases network, mounts and namespaces.
  Status StopSandboxLocked(Sandbox& sandbox);
  Status StopInfraAndNetwork(Sandbox& sandbox);
  // Writes state.json of a sandbox (atomically).
  Status PersistSandboxState(const Sandbox& sandbox);
  // Finds the sandbox a RunPodSandbox retry refers to (see sandbox_run.cc).
  Status ExplainNameConflict(const std::string& name, const runtime::v1::PodSandboxConfig& config,
                             runtime::v1::RunPodSandboxResponse* resp);
  void OnExit(const oci::ExitInfo& exit);

  // --- lifecycle events (container_events.cc) ---
  void InitEvents();
  void FillEventStatuses(const std::string& sandbox_id, runtime::v1::ContainerEventResponse* event);
  // Called after a state change (no store lock held): subscribers learn what
  // is new since they were last told; calling again with no change is a no-op.
  void AnnounceContainer(const Container& container);
  void AnnounceSandbox(const Sandbox& sandbox);
  // Before (sandbox) or after (container) the object leaves the store; the
  // sandbox must still be there, as every event carries its status.
  void AnnounceContainerRemoved(const Container& container);
  void AnnounceSandboxRemoved(const Sandbox& sandbox);

  // --- containers ---
  // What a pod hands each of its containers (namespaces, files, cgroup).
  oci::PodContext PodContextOf(const Sandbox& sandbox) const;
  std::string ContainerBundleDir(const std::string& id) const;
  std::string ContainerRunDir(const std::string& id) const;
  oci::OciRuntime RuntimeFor(const Container& container) const;
  Status PersistContainerState(const Container& container);
  // Answers a CreateContainer whose name is taken (a kubelet retry, see
  // container_create.cc).
  Status ExplainContainerNameConflict(const std::string& name,
                                      const runtime::v1::CreateContainerRequest& req,
                                      runtime::v1::CreateContainerResponse* resp);
  // Records a container's exit (exit watcher, stop, restore): state EXITED,
  // exit code, finish time, reason (Completed, Error, OOMKilled). False when
  // the exit was recorded already.
  bool RecordContainerExit(Container& container, const oci::ExitInfo& exit);
  // Stops a container (its op_mu held): stop signal, then SIGKILL after
  // `timeout`. A container that is not running stays as it is.
  Status StopContainerLocked(Container& container, std::chrono::seconds timeout);
  // Removes a container (its op_mu held): stop, runtime state, rootfs, files,
  // names.
  Status RemoveContainerLocked(Container& container);
  // The rest of a removal, run by reaper_ after the answer: runtime state,
  // mounts, directories. A failed step leaves the ".removing" marker.
  // True when done; false when a step failed (the reaper retries it).
  bool FinishContainerRemoval(const Container& container);
  bool FinishSandboxRemoval(const Sandbox& sandbox);
  // Every container of a pod, for StopPodSandbox / RemovePodSandbox.
  std::vector<std::shared_ptr<Container>> ContainersOf(const std::string& sandbox_id) const;
  Status StopContainersOf(const std::string& sandbox_id);
  Status RemoveContainersOf(const std::string& sandbox_id);
  // The container `id` (a unique prefix) names, for ContainerStatus and
  // ContainerStats: NotFound while it is still being created, as clients
  // see it only once CreateContainer answered (container_status.cc).
  Result<std::shared_ptr<Container>> CreatedContainer(const std::string& id);
  // The container `id` names when it is running; `what` starts the error.
  Result<std::shared_ptr<Container>> RunningContainer(const std::string& id,
                                                      const std::string& what);
  // Streaming sessions (stream_exec.cc, stream_attach.cc,
  // stream_port_forward.cc), called by the streaming server.
  streaming::ExecOutcome StreamExec(const streaming::StreamRequest& req, streaming::ExecIo& io);
  streaming::ExecOutcome StreamAttach(const streaming::StreamRequest& req, streaming::ExecIo& io);
  Result<streaming::OwnedSocket> DialPod(const streaming::StreamRequest& req, uint16_t port);
  // Writes the process of an exec in `c` (the container's own process with
  // `cmd`, on a terminal or not) to <run dir>/exec-<rand>.json; returns the
  // path without ".json" (the pid file goes beside it as ".pid").
  Result<std::string> WriteExecProcess(const Container& c,
                                       const google::protobuf::RepeatedPtrField<std::string>& cmd,
                                       bool tty);
  // --- restore (restore.cc) ---
  // Rebuilds memory from disk before serving (see the assumptions there).
  Status Restore();
  void LoadSandbox(const std::string& id);
  void LoadContainer(const std::string& id);
  void ReconcileContainer(Container& container);
  // Releases what an object holds outside its bundle, by ID alone
  // (annotations, when readable, name the runtime to ask).
  void ReleaseSandboxLeftovers(const std::string& id,
                               const std::map<std::string, std::string>* annotations);
  void ReleaseContainerLeftovers(const std::string& id,
                                 const std::map<std::string, std::string>* annotations);
  std::vector<oci::OciRuntime> RuntimesToAsk(
      const std::map<std::string, std::string>* annotations) const;
  // Moves `dir` to <root>/quarantine, logging the reason.
  void Quarantine(const std::string& kind, const std::string& dir, const std::string& reason);

  // True when a container (in any state) uses the image.
  bool ImageInUse(const std::string& image_id) const;

  SandboxStore sandboxes_;
  ContainerStore containers_;
  oci::RoutingConfig routing_;
  std::string pause_binary_;
  std::unique_ptr<cni::CniNetwork> network_;
  std::unique_ptr<PodCidrKeeper> pod_cidr_;  // set with network_; its own lock
  std::unique_ptr<oci::ExitWatcher> exit_watcher_;
  // `runtime features` per handler, probed once at start (for Status).
  std::map<std::string, oci::RuntimeFeatures> features_;
  // Each runtime binary's family and version, by path, probed once at start
  // (pkg/oci speaks each family's command line).
  std::map<std::string, oci::RuntimeIdentity> runtime_ids_;
  // cgroup layout and controllers, the daemon's capabilities: probed once at
  // start; every container spec is built within them.
  oci::NodeProfile node_;

  const config::Config config_;
  const std::string config_path_;
  // The image and layer stores (image_manager.h), set by Open(); the handlers
  // use them here, not through the gRPC service, which only forwards to them.
  std::unique_ptr<ImageManager> images_;
  // gVisor containers' CPU and memory, read by stats_ (so made before it).
  std::unique_ptr<GvisorStatsSampler> gvisor_stats_;
  std::unique_ptr<StatsCollector> stats_;    // set before serving; its own locks
  std::unique_ptr<ContainerEvents> events_;  // set before restore; its own locks
  // The transport (server.cc): the claimed socket, the two gRPC services and
  // the grpc::Server, set by Start() (under shutdown_mu_) and destroyed before
  // the stores its services reach. Behind this pointer so that the rest of the
  // Server, its handlers and lifecycle (server_lifecycle.cc), builds without
  // gRPC: the Windows build has none yet.
  struct Transport;
  struct TransportDeleter {
    void operator()(Transport* transport) const;
  };
  std::unique_ptr<Transport, TransportDeleter> transport_;
  // Shutdown's two transport steps (server.cc): stop accepting connections
  // and say STOPPING to systemd; then end the gRPC server, in-flight calls
  // given a bounded grace.
  void StopAccepting();
  void StopServing();
  std::unique_ptr<streaming::StreamServer> stream_server_;
  std::mutex shutdown_mu_;  // serializes Shutdown() callers; guards setting transport_
  bool shut_down_ = false;  // guarded by shutdown_mu_
  bool opened_ = false;     // Open() succeeded: Shutdown() has something to stop
  // Made first in Start(); recording is thread-safe. The endpoint is null
  // when metrics.address is empty.
  std::shared_ptr<metrics::DaemonMetrics> metrics_;
  std::unique_ptr<metrics::MetricsEndpoint> metrics_endpoint_;
  std::unique_ptr<CallTracker> calls_;  // in-flight calls, slow-call watchdog
  // The container lifecycle's platform seam (gMSA on Windows); set by Restore().
  std::unique_ptr<ContainerPlatformHooks> platform_hooks_;
  // Finishes removals after their answer. Last, so destroyed first: its
  // queued work uses the members above.
  std::unique_ptr<RemovalReaper> reaper_ = std::make_unique<RemovalReaper>();
};

}  // namespace berth::daemon
