// CreateContainer, as numbered steps; each registers its undo right after it
// succeeds, and the undo stack runs in reverse unless the container exists.
#include <google/protobuf/util/message_differencer.h>
#include <spdlog/fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <filesystem>

#include "daemon/bundle_marker.h"
#include "daemon/call_context.h"
#include "daemon/container_record.h"
#include "daemon/crash_point.h"
#include "daemon/image_manager.h"
#include "daemon/object_ids.h"
#include "daemon/sandbox_files.h"
#include "daemon/seccomp_choice.h"
#include "daemon/server.h"
#include "daemon/validate.h"
#include "pkg/base/quote.h"
#include "pkg/base/undo_stack.h"
#include "pkg/fs/atomic_file.h"
#include "pkg/fs/dir.h"
#include "pkg/fs/mount.h"
#include "pkg/oci/conmon.h"
#include "pkg/oci/container_spec.h"
#include "pkg/seccomp/seccomp_profile.h"

namespace berth::daemon {

namespace rt = runtime::v1;

namespace {

std::string ContainerName(const rt::ContainerMetadata& c, const rt::PodSandboxMetadata& p) {
  return "k8s_" + c.name() + "_" + p.name() + "_" + p.namespace_() + "_" + p.uid() + "_" +
         std::to_string(c.attempt());
}

// The request's own checks, before anything is looked up or reserved.
Status ValidateRequest(const rt::CreateContainerRequest& req) {
  if (req.pod_sandbox_id().empty()) return InvalidArgument("pod_sandbox_id is required");
  if (!req.has_config()) return InvalidArgument("container config is required");
  const rt::ContainerConfig& c = req.config();
  BERTH_RETURN_IF_ERROR(CheckSafeName("container metadata.name", c.metadata().name()));
  if (c.metadata().name().find('_') != std::string::npos) {
    return InvalidArgument("container metadata.name \"" + c.metadata().name() +
                           "\" may not contain '_'");
  }
  if (c.image().image().empty()) {
    return InvalidArgument("container " + c.metadata().name() + ": image is required");
  }
  BERTH_RETURN_IF_ERROR(CheckSingleLine("container image", c.image().image()));
  const std::string who = "container " + QuoteForMessage(c.metadata().name()) + ": ";
  BERTH_RETURN_IF_ERROR(CheckLabelsAndAnnotations(who, c.labels(), c.annotations()));
  BERTH_RETURN_IF_ERROR(CheckLinuxResources(c.linux().resources(), who + "linux.resources"));
  if (!c.log_path().empty()) {
    const std::string field = "container " + c.metadata().name() + ": log_path";
    if (c.log_path()[0] == '/') {
      return InvalidArgument(field + " \"" + c.log_path() +
                             "\" must be relative to the pod's log_directory");
    }
    BERTH_RETURN_IF_ERROR(CheckAbsolutePath(field, "/" + c.log_path()));
  }
  return OkStatus();
}

oci::ImageDefaults DefaultsOf(const image::ImageRecord& image) {
  oci::ImageDefaults d;
  d.entrypoint = image.config.entrypoint;
  d.cmd = image.config.cmd;
  d.env = image.config.env;
  d.working_dir = image.config.working_dir;
  d.user = image.config.user;
  d.volumes = image.config.volumes;
  return d;
}

// The name the status shows for the image: the reference the kubelet gave
// when it is one of the image's tags, else its first tag, else the reference.
std::string DisplayName(const std::string& requested, const image::ImageRecord& image) {
  for (const auto& tag : image.repo_tags) {
    if (tag == requested || tag.ends_with("/" + requested)) return tag;
  }
  return image.repo_tags.empty() ? requested : image.repo_tags.front();
}

}  // namespace

oci::PodContext Server::PodContextOf(const Sandbox& s) const {
  const auto& sc = s.config.linux().security_context();
  oci::PodContext pod;
  pod.sandbox_id = s.id;
  pod.net_ns_path = s.netns_path;
  pod.ipc_ns_path = s.ipcns_path;
  pod.uts_ns_path = s.utsns_path;
  pod.host_pid = sc.namespace_options().pid() == rt::NODE;
  pod.runtime_kind = RuntimeFor(s).config().kind;
  int infra_pid = sandboxes_.Read([&] { return s.pid; });
  if (!pod.host_pid && infra_pid > 0)
    pod.pid_ns_path = "/proc/" + std::to_string(infra_pid) + "/ns/pid";
  pod.hostname_file = s.bundle_dir + "/hostname";
  pod.hosts_file = s.bundle_dir + "/hosts";
  pod.resolv_conf_file = s.bundle_dir + "/resolv.conf";
  pod.shm_path = s.shm_path.empty() ? "/dev/shm" : s.shm_path;
  if (!s.utsns_path.empty()) pod.hostname = PodHostname(s.config, s.id);
  pod.cgroup_manager = CgroupDriver();
  pod.cgroup_parent = s.config.linux().cgroup_parent();
  pod.sysctls = {s.config.linux().sysctls().begin(), s.config.linux().sysctls().end()};
  pod.privileged = sc.privileged();
  if (sc.has_run_as_user()) pod.run_as_user = sc.run_as_user().value();
  if (sc.has_run_as_group()) pod.run_as_group = sc.run_as_group().value();
  pod.supplemental_groups = {sc.supplemental_groups().begin(), sc.supplemental_groups().end()};
  return pod;
}

Status Server::ExplainContainerNameConflict(const std::string& name,
                                            const rt::CreateContainerRequest& req,
                                            rt::CreateContainerResponse* resp) {
  Result<std::string> holder = containers_.names().Get(name);
  if (!holder.ok())
    return Internal("container name " + name + " was reserved and is now free; retry");
  Result<std::shared_ptr<Container>> c = containers_.Get(*holder);
  if (!c.ok())
    return AlreadyExists("container name \"" + name + "\" is reserved for ID " + *holder);
  std::string stage = containers_.Read([&] { return (*c)->stage; });
  // A kubelet retry of a call still in progress is told so; once that call
  // is done, the same request gets the container it made.
  if (!stage.empty()) {
    return AlreadyExists("container \"" + name + "\" is still being created (ID " + *holder +
                         ", stage: " + stage + "); retry later");
  }
  if ((*c)->sandbox_id == req.pod_sandbox_id() ||
      (*c)->sandbox_id.starts_with(req.pod_sandbox_id())) {
    // Field by field: serialized maps (labels) have no fixed byte order.
    if (google::protobuf::util::MessageDifferencer::Equals((*c)->config, req.config())) {
      resp->set_container_id(*holder);
      return OkStatus();
    }
  }
  return AlreadyExists("container name \"" + name + "\" is reserved for ID " + *holder);
}

Status Server::CreateContainer(const rt::CreateContainerRequest& req,
                               rt::CreateContainerResponse* resp) {
  // 1. Validate the request, then find the pod (it must be ready) and the image.
  CallStep("1 validate, find pod and image");
  BERTH_RETURN_IF_ERROR(ValidateRequest(req));
  const rt::ContainerConfig& config = req.config();
  const std::string& cname = config.metadata().name();
  BERTH_RETURN_IF_ERROR(platform_hooks_->Validate(cname, config));
  BERTH_ASSIGN_OR_RETURN(std::shared_ptr<Sandbox> sandbox, sandboxes_.Get(req.pod_sandbox_id()));
  // Held shared until the container exists: StopPodSandbox waits for it.
  std::shared_lock pod_lock(sandbox->containers_mu);
  auto [pod_state, pod_stage] =
      sandboxes_.Read([&] { return std::make_pair(sandbox->state, sandbox->stage); });
  if (pod_state != rt::SANDBOX_READY || !pod_stage.empty()) {
    return FailedPrecondition("container " + cname + ": pod sandbox " + sandbox->id +
                              " is not ready");
  }
  oci::PodContext pod = PodContextOf(*sandbox);
  BERTH_RETURN_IF_ERROR(oci::ValidateContainerConfig(config, pod));
  Result<image::ImageRecord> image = images_->Find(config.image().image());
  if (!image.ok()) {
    return image.status().WithContext("container " + cname + ": image " + config.image().image());
  }

  // 2. Reserve the name; a kubelet retry is answered.
  CallStep("2 reserve the name");
  auto c = std::make_shared<Container>();
  c->id = NewObjectId();
  c->name = ContainerName(config.metadata(), sandbox->config.metadata());
  c->sandbox_id = sandbox->id;
  c->config = config;
  c->image_id = image->id;
  c->image_name = DisplayName(config.image().image(), *image);
  c->image_ref = image->repo_digests.empty() ? image->id : image->repo_digests.front();
  c->created_at_ns = NowNs();
  c->bundle_dir = ContainerBundleDir(c->id);
  const std::string& log_dir = sandbox->config.log_directory();
  c->log_path = log_dir.empty() || config.log_path().empty() ? c->bundle_dir + "/container.log"
                                                             : log_dir + "/" + config.log_path();
  c->runtime_name = sandbox->runtime_name;
  c->runtime_path = sandbox->runtime_path;
  c->runtime_root = sandbox->runtime_root;
  c->resources = config.linux().resources();
  c->stage = "reserving name";
  BERTH_ASSIGN_OR_RETURN(c->stop_signal, oci::ParseStopSignal(image->config.stop_signal));
  if (Status s = containers_.names().Reserve(c->name, c->id); !s.ok()) {
    if (s.code() != Code::kAlreadyExists) return s;
    return ExplainContainerNameConflict(c->name, req, resp);
  }
  // Locked before the undo stack exists, so a failed creation is undone
  // before any other operation on this container can run.
  std::lock_guard<std::mutex> op(c->op_mu);
  UndoStack undo("container " + c->id);
  undo.Push("release name", [&] {
    containers_.names().Release(c->name);
    return OkStatus();
  });
  BERTH_RETURN_IF_ERROR(containers_.Add(c));
  undo.Push("forget container", [&] {
    containers_.Remove(c->id);
    return OkStatus();
  });
  auto stage = [&](const char* what) { containers_.Write([&] { c->stage = what; }); };
  BERTH_CRASH_POINT("container-create/after-reserve");

  // 3. Directories: bundle (config.json, overlay upper/work, volumes) and run dir.
  CallStep("3 create directories");
  stage("creating directories");
  const std::string run_dir = ContainerRunDir(c->id);
  const std::string rootfs = c->bundle_dir + "/rootfs";
  BERTH_RETURN_IF_ERROR(MkdirAll(c->bundle_dir, 0711));
  // Until the marker goes, a restart undoes this creation (restore.cc).
  BERTH_RETURN_IF_ERROR(SetMarker(c->bundle_dir, kCreatingMarker));
  for (const char* sub : {"/upper", "/work", "/rootfs", "/volumes"}) {
    BERTH_RETURN_IF_ERROR(MkdirAll(c->bundle_dir + sub, 0711));
  }
  BERTH_RETURN_IF_ERROR(MkdirAll(run_dir, 0700));
  undo.Push("remove directories",
            [&, run_dir] { return RemoveObjectFiles(c->id, c->bundle_dir, run_dir); });

  BERTH_CRASH_POINT("container-create/after-dirs");

  // 4. Root filesystem: the image's layers under a private upper dir.
  CallStep("4 mount the root filesystem");
  stage("mounting rootfs");
  BERTH_ASSIGN_OR_RETURN(
      image::RootfsMount mount,
      images_->layers().MountRootfs(image->TopChainId(), c->bundle_dir + "/upper",
                                    c->bundle_dir + "/work", rootfs, false));
  mount.Release();
  undo.Push("unmount rootfs", [rootfs] { return Unmount(rootfs); });

  BERTH_CRASH_POINT("container-create/after-rootfs");

  // 4b. The platform's setup (Windows: the gMSA credential spec), recorded in
  // config.json by step 5 before the runtime is asked for anything.
  CallStep("4b platform setup");
  BERTH_ASSIGN_OR_RETURN(PlatformCreateResult platform,
                         platform_hooks_->OnCreate(c->id, cname, config));
  containers_.Write([&] { c->platform_annotations = platform.annotations; });
  undo.Push("undo platform setup",
            [&] { return platform_hooks_->OnCreateFailed(c->id, c->platform_annotations); });

  // 5. Write before you act: config.json with every CRI field as annotations.
  CallStep("5 write config.json");
  stage("writing config.json");
  BERTH_ASSIGN_OR_RETURN(std::vector<std::string> caps,
                         oci::EffectiveCapabilities(config, pod, node_.held_capabilities));
  BERTH_ASSIGN_OR_RETURN(SeccompChoice seccomp_choice,
                         ChooseSeccomp(config.linux().security_context(), "container " + cname));
  const bool privileged = config.linux().security_context().privileged();
  oci::ContainerSpecOptions spec;
  spec.id = c->id;
  spec.name = cname;
  spec.rootfs = rootfs;
  spec.volumes_dir = c->bundle_dir + "/volumes";
  spec.config = config;
  spec.image = DefaultsOf(*image);
  spec.pod = pod;
  spec.clamp_oom_score_adj = config_.clamp_oom_score_adj;
  spec.own_oom_score_adj = node_.own_oom_score_adj;  // probed once, not read per create
  spec.node = node_;
  spec.supports_recursive_read_only =
      features_.count(c->runtime_name) > 0 && features_.at(c->runtime_name).recursive_read_only;
  // PID mode TARGET joins another container's PID namespace.
  if (config.linux().security_context().namespace_options().pid() == rt::TARGET) {
    const std::string& target = config.linux().security_context().namespace_options().target_id();
    Result<std::shared_ptr<Container>> t = containers_.Get(target);
    int target_pid = t.ok() ? containers_.Read([&] { return (*t)->pid; }) : 0;
    if (!t.ok() || (*t)->sandbox_id != sandbox->id || target_pid <= 0) {
      return InvalidArgument("container " + cname + ": namespace_options.target_id \"" + target +
                             "\" is not a running container of this pod");
    }
    spec.target_pid_ns_path = "/proc/" + std::to_string(target_pid) + "/ns/pid";
  }
  BERTH_ASSIGN_OR_RETURN(
      spec.seccomp,
      seccomp::ProfileFor(seccomp_choice.first, seccomp_choice.second, privileged, caps));
  // The pod's runtime gets the container's io.berth.* annotations only where
  // its allowed_annotations lists them, as for the pod's own.
  // A runtime gone from the config since the pod was made allows nothing.
  auto runtime_entry = routing_.runtimes.find(c->runtime_name);
  oci::FilteredAnnotations filtered = oci::FilterAnnotations(
      runtime_entry == routing_.runtimes.end() ? std::vector<std::string>{}
                                               : runtime_entry->second.allowed_annotations,
      {config.annotations().begin(), config.annotations().end()});
  for (const auto& key : filtered.dropped) {
    spdlog::info("container {}: annotation {} ignored: runtime {} does not allow it", c->name, key,
                 c->runtime_name);
  }
  spec.annotations = std::move(filtered.kept);
  for (const auto& [k, v] : ContainerAnnotations(*c)) spec.annotations[k] = v;
  std::vector<std::string> degraded;
  Result<nlohmann::json> spec_json = oci::BuildContainerSpec(spec, &degraded);
  if (!spec_json.ok()) return spec_json.status().WithContext("container " + cname);
  ApplyPlatformSetup(platform, &*spec_json);
  if (!degraded.empty()) {
    spdlog::info("container {} ({}): this node cannot honour, left out: {}", c->name, c->id,
                 fmt::join(degraded, "; "));
  }
  BERTH_RETURN_IF_ERROR(WriteFileAtomic(c->bundle_dir + "/config.json", spec_json->dump(2), 0600));
  RecordProcessUser((*spec_json)["process"], c.get());
  containers_.Write([&] { c->state = rt::CONTAINER_CREATED; });
  // No state file yet: until the marker goes, restore undoes the creation
  // without reading one, and step 8 writes the first (one fsync pair less).

  BERTH_CRASH_POINT("container-create/after-config");

  // 6. The log directory is the kubelet's, but may not exist yet. A log file
  // a failed creation leaves behind would count as an earlier attempt for the
  // kubelet (it derives restartCount from the numbered files), so it goes
  // with the rest unless it was there before.
  CallStep("6 prepare the log directory");
  std::string log_parent = std::filesystem::path(c->log_path).parent_path().string();
  BERTH_RETURN_IF_ERROR(MkdirAll(log_parent, 0755));
  if (!std::filesystem::exists(c->log_path)) {
    undo.Push("remove log file", [&] {
      if (unlink(c->log_path.c_str()) != 0 && errno != ENOENT) {
        return ErrnoError("remove " + c->log_path, errno);
      }
      return OkStatus();
    });
  }

  // 7. Create the container through conmon (not started yet).
  CallStep("7 create the container (conmon, runtime)");
  stage("creating container");
  oci::OciRuntime runtime = RuntimeFor(*c);
  oci::ConmonCreateRequest create =
      ConmonRequestFor(c->id, c->name, c->bundle_dir, run_dir, c->log_path);
  create.terminal = config.tty();
  create.stdin = config.stdin();
  create.stdin_once = config.stdin_once();
  BERTH_ASSIGN_OR_RETURN(oci::ConmonCreated created, Conmon().Create(runtime, create));
  undo.Push("delete container", [&, runtime] { return runtime.Delete(c->id, true); });

  BERTH_CRASH_POINT("container-create/after-runtime-create");

  // 8. Created: record it and keep everything.
  CallStep("8 record the created container");
  containers_.Write([&] { c->pid = created.container_pid; });
  BERTH_RETURN_IF_ERROR(PersistContainerState(*c));
  BERTH_CRASH_POINT("container-create/before-commit");
  BERTH_RETURN_IF_ERROR(ClearMarker(c->bundle_dir, kCreatingMarker));
  containers_.Write([&] { c->stage.clear(); });
  undo.Commit();
  spdlog::info("container {} ({}) created in pod {} on runtime {}", c->name, c->id, sandbox->id,
               c->runtime_name);
  AnnounceContainer(*c);
  resp->set_container_id(c->id);
  return OkStatus();
}

Status Server::PersistContainerState(const Container& c) {
  std::string json = containers_.Read([&] { return ContainerStateJson(c); });
  return WriteFileAtomic(c.bundle_dir + "/state.json", json, 0600);
}

}  // namespace berth::daemon
