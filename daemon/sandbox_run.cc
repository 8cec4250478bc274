// RunPodSandbox, as numbered steps; each registers its undo right after it
// succeeds, and the undo stack runs in reverse unless the pod came up.
#include <google/protobuf/util/message_differencer.h>
#include <spdlog/spdlog.h>
#include <chrono>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "daemon/bundle_marker.h"
#include "daemon/call_context.h"
#include "daemon/crash_point.h"
#include "daemon/object_ids.h"
#include "daemon/pod_network_request.h"
#include "daemon/sandbox_files.h"
#include "daemon/sandbox_record.h"
#include "daemon/sandbox_validate.h"
#include "daemon/seccomp_choice.h"
#include "daemon/server.h"
#include "pkg/base/undo_stack.h"
#include "pkg/fs/atomic_file.h"
#include "pkg/fs/dir.h"
#include "pkg/fs/mount.h"
#include "pkg/ns/pinned_namespaces.h"
#include "pkg/oci/conmon.h"
#include "pkg/oci/sandbox_spec.h"
#include "pkg/seccomp/seccomp_profile.h"

namespace berth::daemon {

namespace rt = runtime::v1;

namespace {

std::string PodName(const rt::PodSandboxMetadata& m) {
  return "k8s_" + m.name() + "_" + m.namespace_() + "_" + m.uid() + "_" +
         std::to_string(m.attempt());
}

std::map<std::string, std::string> ToMap(const google::protobuf::Map<std::string, std::string>& m) {
  return {m.begin(), m.end()};
}

bool SameConfig(const rt::PodSandboxConfig& a, const rt::PodSandboxConfig& b) {
  // Field by field: serialized maps (labels) have no fixed byte order.
  return google::protobuf::util::MessageDifferencer::Equals(a, b);
}

}  // namespace

Status Server::ExplainNameConflict(const std::string& name, const rt::PodSandboxConfig& config,
                                   rt::RunPodSandboxResponse* resp) {
  Result<std::string> holder = sandboxes_.names().Get(name);
  if (!holder.ok()) return Internal("pod name " + name + " was reserved and is now free; retry");
  Result<std::shared_ptr<Sandbox>> s = sandboxes_.Get(*holder);
  if (!s.ok()) {
    return AlreadyExists("pod sandbox name \"" + name + "\" is reserved for ID " + *holder);
  }
  auto [stage, state] = sandboxes_.Read([&] { return std::make_pair((*s)->stage, (*s)->state); });
  // The kubelet retries a RunPodSandbox whose deadline passed while the first
  // call still works: tell it so, and hand it the result once it is done.
  if (!stage.empty()) {
    return AlreadyExists("pod sandbox \"" + name + "\" is still being created (ID " + *holder +
                         ", stage: " + stage + "); retry later");
  }
  if (state == rt::SANDBOX_READY && SameConfig((*s)->config, config)) {
    resp->set_pod_sandbox_id(*holder);
    return OkStatus();
  }
  return AlreadyExists("pod sandbox name \"" + name + "\" is reserved for ID " + *holder);
}

Status Server::RunPodSandbox(const rt::RunPodSandboxRequest& req, rt::RunPodSandboxResponse* resp) {
  const rt::PodSandboxConfig& config = req.config();
  // 1. Validate everything before anything is reserved or made.
  CallStep("1 validate");
  BERTH_RETURN_IF_ERROR(ValidatePodSandboxConfig(config, config_.cgroup_manager));
  const auto& ns_opts = config.linux().security_context().namespace_options();
  const bool host_network = ns_opts.network() == rt::NODE;
  const bool host_ipc = ns_opts.ipc() == rt::NODE;
  const bool privileged = config.linux().security_context().privileged();

  // 2. Route: the runtime is chosen once, here, and recorded.
  CallStep("2 route to a runtime");
  oci::PodRoutingInput pod{config.metadata().name(),
                           config.metadata().namespace_(),
                           req.runtime_handler(),
                           privileged,
                           host_network,
                           ns_opts.pid() == rt::NODE,
                           host_ipc,
                           ToMap(config.annotations())};
  Result<oci::RuntimeChoice> choice = oci::ChooseRuntime(routing_, pod);
  if (!choice.ok()) {
    return choice.status().WithContext("pod " + config.metadata().namespace_() + "/" +
                                       config.metadata().name());
  }
  oci::FilteredAnnotations filtered = oci::FilterAnnotations(*choice, pod.annotations);
  for (const auto& key : filtered.dropped) {
    spdlog::info("pod {}: annotation {} ignored: runtime {} does not allow it",
                 PodName(config.metadata()), key, choice->name);
  }
  if (pause_binary_.empty()) return FailedPrecondition("berth-pause binary not found");

  // 3. Reserve the name; a retry of a call in progress or done is answered.
  CallStep("3 reserve the name");
  auto sandbox = std::make_shared<Sandbox>();
  sandbox->id = NewObjectId();
  sandbox->name = PodName(config.metadata());
  sandbox->config = config;
  sandbox->created_at_ns = NowNs();
  sandbox->runtime_name = choice->name;
  sandbox->runtime_path = choice->path;
  sandbox->runtime_root = choice->root;
  sandbox->trust = choice->trust;
  sandbox->route_reason = choice->reason;
  sandbox->bundle_dir = SandboxBundleDir(sandbox->id);
  sandbox->stage = "reserving name";
  if (Status s = sandboxes_.names().Reserve(sandbox->name, sandbox->id); !s.ok()) {
    if (s.code() != Code::kAlreadyExists) return s;
    return ExplainNameConflict(sandbox->name, config, resp);
  }
  // Locked before the undo stack exists, so a failed creation is undone
  // before any other operation on this sandbox can run.
  std::lock_guard<std::mutex> op(sandbox->op_mu);
  UndoStack undo("pod sandbox " + sandbox->id);
  undo.Push("release name", [&] {
    sandboxes_.names().Release(sandbox->name);
    return OkStatus();
  });
  BERTH_RETURN_IF_ERROR(sandboxes_.Add(sandbox));
  undo.Push("forget sandbox", [&] {
    sandboxes_.Remove(sandbox->id);
    return OkStatus();
  });
  auto stage = [&](const char* what) { sandboxes_.Write([&] { sandbox->stage = what; }); };
  BERTH_CRASH_POINT("sandbox-run/after-reserve");
  spdlog::info("pod {} ({}): runtime {} ({}, {})", sandbox->name, sandbox->id, choice->name,
               choice->trust, choice->reason);

  // 4. Directories: persistent bundle and volatile run dir.
  CallStep("4 create directories");
  stage("creating directories");
  const std::string run_dir = SandboxRunDir(sandbox->id);
  BERTH_RETURN_IF_ERROR(MkdirAll(sandbox->bundle_dir, 0711));
  // Until the marker goes, a restart undoes this creation (restore.cc).
  BERTH_RETURN_IF_ERROR(SetMarker(sandbox->bundle_dir, kCreatingMarker));
  BERTH_RETURN_IF_ERROR(MkdirAll(run_dir, 0711));
  undo.Push("remove directories",
            [&, run_dir] { return RemoveObjectFiles(sandbox->id, sandbox->bundle_dir, run_dir); });

  BERTH_CRASH_POINT("sandbox-run/after-dirs");

  // 5. Pin the pod's namespaces so they outlive any process of the pod.
  CallStep("5 pin namespaces");
  stage("pinning namespaces");
  ns::PinRequest pin;
  pin.net = !host_network;
  pin.ipc = !host_ipc;
  pin.uts = !host_network;  // the pod's host name needs its own UTS namespace
  const std::string hostname = PodHostname(config, sandbox->id);
  if (pin.uts) pin.hostname = hostname;
  BERTH_ASSIGN_OR_RETURN(ns::PinnedPaths pinned,
                         ns::PinNamespaces(config_.runroot, sandbox->id, pin));
  undo.Push("unpin namespaces", [pinned] { return ns::UnpinNamespaces(pinned); });
  sandbox->netns_path = pinned.net;
  sandbox->ipcns_path = pinned.ipc;
  sandbox->utsns_path = pinned.uts;

  BERTH_CRASH_POINT("sandbox-run/after-pin-namespaces");

  // 6. Files containers share: /etc/hostname, hosts, resolv.conf, /dev/shm.
  CallStep("6 prepare pod files");
  stage("preparing pod files");
  // A pod with its own network gets them once its IPs are known (step 8):
  // nothing reads them before (the infra container mounts none of them), and
  // each of the three is a synced write.
  if (host_network) {
    BERTH_RETURN_IF_ERROR(WritePodEtcFiles(sandbox->bundle_dir, hostname, config, {}));
  }
  if (!host_ipc) {
    sandbox->shm_path = run_dir + "/shm";
    BERTH_RETURN_IF_ERROR(MkdirAll(sandbox->shm_path, 0755));
    BERTH_ASSIGN_OR_RETURN(
        MountGuard shm,
        MountRestrictedTmpfs("shm", sandbox->shm_path, std::string("mode=1777,") + kPodShmSize));
    shm.Release();
    undo.Push("unmount shm", [path = sandbox->shm_path] { return Unmount(path); });
  }

  // 7. Write before you act: config.json with every CRI field as annotations.
  CallStep("7 write config.json");
  stage("writing config.json");
  const std::string rootfs = sandbox->bundle_dir + "/rootfs";
  BERTH_RETURN_IF_ERROR(oci::PrepareInfraRootfs(rootfs, pause_binary_));
  BERTH_RETURN_IF_ERROR(RuntimeFor(*sandbox).PrepareInfraRootfs(rootfs));
  oci::SandboxSpecOptions spec;
  spec.id = sandbox->id;
  spec.rootfs = rootfs;
  spec.hostname = pin.uts ? hostname : "";
  spec.net_ns_path = sandbox->netns_path;
  spec.ipc_ns_path = sandbox->ipcns_path;
  spec.uts_ns_path = sandbox->utsns_path;
  spec.host_pid = ns_opts.pid() == rt::NODE;
  spec.cgroup_manager = CgroupDriver();
  spec.cgroup_parent = config.linux().cgroup_parent();
  spec.shm_path = host_ipc ? "/dev/shm" : sandbox->shm_path;
  const auto& sc = config.linux().security_context();
  if (sc.has_run_as_user()) spec.uid = static_cast<uint32_t>(sc.run_as_user().value());
  if (sc.has_run_as_group()) spec.gid = static_cast<uint32_t>(sc.run_as_group().value());
  for (int64_t g : sc.supplemental_groups())
    spec.additional_gids.push_back(static_cast<uint32_t>(g));
  spec.sysctls = ToMap(config.linux().sysctls());
  spec.clamp_oom_score_adj = config_.clamp_oom_score_adj;
  spec.own_oom_score_adj = node_.own_oom_score_adj;  // probed once, not read per create
  spec.annotations = filtered.kept;
  for (const auto& [k, v] : SandboxAnnotations(*sandbox)) spec.annotations[k] = v;
  // The infra process gets the pod's seccomp profile too (it holds no
  // capabilities, so RuntimeDefault allows it nothing cap-gated).
  BERTH_ASSIGN_OR_RETURN(SeccompChoice seccomp_choice,
                         ChooseSeccomp(sc, "pod " + config.metadata().name()));
  BERTH_ASSIGN_OR_RETURN(
      spec.seccomp,
      seccomp::ProfileFor(seccomp_choice.first, seccomp_choice.second, sc.privileged(), {}));
  BERTH_ASSIGN_OR_RETURN(nlohmann::json spec_json, oci::BuildSandboxSpec(spec));
  if (int oom = spec_json["process"].value("oomScoreAdj", spec.oom_score_adj);
      oom != spec.oom_score_adj) {
    spdlog::info(
        "pod {} ({}): this node cannot honour, left out: oom_score_adj {} raised to {} "
        "(below berthd's own)",
        sandbox->name, sandbox->id, spec.oom_score_adj, oom);
  }
  BERTH_RETURN_IF_ERROR(
      WriteFileAtomic(sandbox->bundle_dir + "/config.json", spec_json.dump(2), 0600));
  // No state file yet: until the marker goes, restore undoes the pod without
  // reading one, and step 10 writes the first.

  BERTH_CRASH_POINT("sandbox-run/after-config");

  // 8. Pod network (CNI ADD in the pinned netns, not for host network) and
  // the infra container's create through conmon. A runc-compatible runtime's
  // infra process joins the netns by path and never looks at its
  // interfaces, so the two run side by side (each starts processes that
  // mostly wait). gVisor takes over the interfaces it finds in the namespace
  // when the pod starts and sees none that come later, so for it the network
  // comes first, as containerd and CRI-O do.
  CallStep("8 set up the pod network (CNI ADD), create the infra container");
  std::optional<cni::PodNetworkRequest> net;
  if (!host_network) net = PodNetworkRequestFor(sandbox->id, sandbox->netns_path, config);
  oci::OciRuntime runtime = RuntimeFor(*sandbox);
  oci::ConmonCreateRequest create = ConmonRequestFor(
      sandbox->id, sandbox->name, sandbox->bundle_dir, run_dir, sandbox->bundle_dir + "/infra.log");
  const bool side_by_side = net && runtime.config().kind == oci::RuntimeKind::kRuncCompatible;
  std::optional<Result<cni::AttachResult>> attached;
  std::optional<Result<oci::ConmonCreated>> created;
  if (side_by_side) {
    // The stage names what still runs, for a retry to be told.
    std::mutex running_mu;
    int running = 2;  // guarded by running_mu
    auto one_done = [&](const char* other) {
      std::lock_guard lock(running_mu);
      if (--running == 1) stage(other);
    };
    stage("creating infra container, setting up pod network");
    // The call's scope goes along: its log prefix and its cancellation.
    std::thread attach([&, call = CurrentCall()] {
      CallScope scope(call);
      attached = network_->Attach(*net);
      one_done("creating infra container");
    });
    created = Conmon().Create(runtime, create);
    one_done("setting up pod network");
    attach.join();
  } else {
    if (net) {
      stage("setting up pod network");
      attached = network_->Attach(*net);
    }
    if (!attached || attached->ok()) {
      stage("creating infra container");
      created = Conmon().Create(runtime, create);
    }
  }
  // The undos in the order of the sequential steps: the infra container
  // goes before its network.
  // By value: the undo stack outlives this step's locals.
  if (attached && attached->ok()) {
    undo.Push("CNI DEL", [this, net = *net] { return network_->Detach(net); });
  }
  if (created && created->ok()) {
    undo.Push("delete infra container", [&, runtime] { return runtime.Delete(sandbox->id, true); });
  }
  if (attached && !attached->ok()) {
    return attached->status().WithContext("pod " + sandbox->name + ": CNI ADD");
  }
  if (!created->ok()) return created->status();
  std::vector<std::string> ips;
  if (attached) {
    ips = (*attached)->pod_ips;
    BERTH_RETURN_IF_ERROR(WritePodEtcFiles(sandbox->bundle_dir, hostname, config, ips));
  }

  BERTH_CRASH_POINT("sandbox-run/after-network");
  BERTH_CRASH_POINT("sandbox-run/after-infra-create");

  // 9. Start the infra container.
  CallStep("9 start the infra container");
  stage("starting infra container");
  BERTH_RETURN_IF_ERROR(runtime.Start(sandbox->id));

  BERTH_CRASH_POINT("sandbox-run/after-infra-start");

  // 10. Ready: record the runtime state, then keep everything.
  CallStep("10 record the ready pod");
  sandboxes_.Write([&] {
    sandbox->ips = ips;
    sandbox->pid = (*created)->container_pid;
    sandbox->network_attached = !host_network;
    sandbox->state = rt::SANDBOX_READY;
  });
  BERTH_RETURN_IF_ERROR(PersistSandboxState(*sandbox));
  BERTH_CRASH_POINT("sandbox-run/before-commit");
  BERTH_RETURN_IF_ERROR(ClearMarker(sandbox->bundle_dir, kCreatingMarker));
  sandboxes_.Write([&] { sandbox->stage.clear(); });
  undo.Commit();
  AnnounceSandbox(*sandbox);
  resp->set_pod_sandbox_id(sandbox->id);
  return OkStatus();
}

Status Server::PersistSandboxState(const Sandbox& s) {
  std::string json = sandboxes_.Read([&] { return SandboxStateJson(s); });
  return WriteFileAtomic(s.bundle_dir + "/state.json", json, 0600);
}

}  // namespace berth::daemon
