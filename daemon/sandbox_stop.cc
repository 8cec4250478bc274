// StopPodSandbox: stop the infra process, detach the network (always, from
// the CNI cache, even when the netns is gone), release shm and namespaces.
// Idempotent: a stopped, half-created or unknown sandbox stops successfully.
#include <spdlog/spdlog.h>

#include "daemon/call_context.h"
#include "daemon/crash_point.h"
#include "daemon/pod_network_request.h"
#include "daemon/server.h"
#include "pkg/fs/mount.h"
#include "pkg/ns/pinned_namespaces.h"
#include "pkg/oci/linux_signals.h"

namespace berth::daemon {

namespace rt = runtime::v1;

namespace {
// berth-pause exits on SIGTERM at once; a runtime that ignores it gets SIGKILL.
constexpr auto kInfraStopGrace = std::chrono::seconds(10);
}  // namespace

// The infra process (SIGTERM, then SIGKILL), then the pod network.
Status Server::StopInfraAndNetwork(Sandbox& s) {
  oci::OciRuntime runtime = RuntimeFor(s);
  Result<oci::ContainerState> st = runtime.State(s.id);
  if (st.ok() && (st->status == "running" || st->status == "paused" || st->status == "created")) {
    Status k = runtime.Kill(s.id, oci::linux_signal::kTerm);
    if (!k.ok() && k.code() != Code::kNotFound) return k;
    Result<oci::ExitInfo> exited = oci::WaitExitFile(ExitDir(), s.id, kInfraStopGrace);
    if (!exited.ok()) {
      spdlog::warn("pod sandbox {}: infra did not stop on SIGTERM; killing", s.id);
      Status kill = runtime.Kill(s.id, oci::linux_signal::kKill, true);
      if (!kill.ok() && kill.code() != Code::kNotFound) return kill;
      BERTH_RETURN_IF_ERROR(oci::WaitExitFile(ExitDir(), s.id, kInfraStopGrace).status());
    }
  }

  BERTH_CRASH_POINT("sandbox-stop/after-infra-stop");

  // 2. CNI DEL from the cached config and result; a missing netns is fine.
  CallStep("2 tear down the pod network (CNI DEL)");
  const auto& ns_opts = s.config.linux().security_context().namespace_options();
  if (ns_opts.network() != rt::NODE) {
    BERTH_RETURN_IF_ERROR(network_->Detach(PodNetworkRequestFor(s.id, s.netns_path, s.config))
                              .WithContext("pod sandbox " + s.id + ": CNI DEL"));
  }

  BERTH_CRASH_POINT("sandbox-stop/after-network");
  return OkStatus();
}

Status Server::StopSandboxLocked(Sandbox& s) {
  // 1. Stop the pod's containers (no new ones meanwhile), then the infra process.
  CallStep("1 stop containers and the infra process");
  {
    std::unique_lock no_new_containers(s.containers_mu);
    BERTH_RETURN_IF_ERROR(StopContainersOf(s.id).WithContext("pod sandbox " + s.id));
  }
  BERTH_CRASH_POINT("sandbox-stop/after-containers");
  // A stop that completed (its record says so: it is written last) leaves
  // no infra process and no network: RemovePodSandbox after StopPodSandbox,
  // and the kubelet's repeated stops, skip the runtime and CNI calls.
  const bool stopped = sandboxes_.Read(
      [&] { return s.state == rt::SANDBOX_NOTREADY && s.pid == 0 && !s.network_attached; });
  if (!stopped) BERTH_RETURN_IF_ERROR(StopInfraAndNetwork(s));
  // 3. Release shm and the pinned namespaces.
  CallStep("3 release shm and namespaces");
  if (!s.shm_path.empty()) BERTH_RETURN_IF_ERROR(Unmount(s.shm_path));
  BERTH_RETURN_IF_ERROR(ns::UnpinNamespaces({s.netns_path, s.ipcns_path, s.utsns_path}));
  if (stopped) return OkStatus();  // recorded already

  sandboxes_.Write([&] {
    s.state = rt::SANDBOX_NOTREADY;
    s.network_attached = false;
    s.pid = 0;
  });
  AnnounceSandbox(s);
  return PersistSandboxState(s);
}

Status Server::StopPodSandbox(const rt::StopPodSandboxRequest& req, rt::StopPodSandboxResponse*) {
  if (req.pod_sandbox_id().empty()) return InvalidArgument("pod_sandbox_id is required");
  Result<std::shared_ptr<Sandbox>> s = sandboxes_.Get(req.pod_sandbox_id());
  if (!s.ok()) {
    // Already gone is stopped; an ambiguous prefix is still the caller's error.
    if (s.status().code() == Code::kNotFound) return OkStatus();
    return s.status();
  }
  std::lock_guard<std::mutex> op((*s)->op_mu);
  return StopSandboxLocked(**s);
}

}  // namespace berth::daemon
