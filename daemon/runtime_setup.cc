// Server::InitRuntime: what the sandbox and container handlers stand on,
// opened once before serving: the pod network (watched), the exit watcher,
// the routing table and each runtime's probed features.
#include <unistd.h>

#include <filesystem>

#include <spdlog/fmt/ranges.h>
#include <spdlog/spdlog.h>
#include "daemon/pod_cidr_keeper.h"
#include "daemon/server.h"
#include "pkg/fs/dir.h"
#include "pkg/fs/mount.h"

namespace berth::daemon {

namespace {

// berth-pause is looked up beside berthd (installed or in the build tree),
// then in the usual libexec places; BERTH_PAUSE_BINARY overrides.
std::string FindPauseBinary() {
  if (const char* env = getenv("BERTH_PAUSE_BINARY")) return env;
  std::error_code ec;
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec).parent_path();
  for (const auto& candidate : {self / "berth-pause", self / "../berth-pause/berth-pause",
                                std::filesystem::path("/usr/local/libexec/berth/berth-pause"),
                                std::filesystem::path("/usr/libexec/berth/berth-pause")}) {
    if (access(candidate.string().c_str(), X_OK) == 0) return candidate.lexically_normal().string();
  }
  return "";
}

}  // namespace

std::string Server::SandboxBundleDir(const std::string& id) const {
  return config_.root + "/sandboxes/" + id;
}
std::string Server::SandboxRunDir(const std::string& id) const {
  return config_.runroot + "/sandboxes/" + id;
}
std::string Server::ExitDir() const {
  return config_.runroot + "/exits";
}

std::string Server::ContainerBundleDir(const std::string& id) const {
  return config_.root + "/containers/" + id;
}
std::string Server::ContainerRunDir(const std::string& id) const {
  return config_.runroot + "/containers/" + id;
}

oci::OciRuntime Server::RuntimeNamed(const std::string& name, const std::string& path,
                                     const std::string& root) const {
  oci::OciRuntimeConfig rc;
  rc.name = name;
  rc.path = path;
  rc.root = root;
  rc.systemd_cgroup = SystemdCgroups();
  if (auto id = runtime_ids_.find(path); id != runtime_ids_.end()) rc.kind = id->second.kind;
  return oci::OciRuntime(rc);
}
oci::OciRuntime Server::RuntimeFor(const Sandbox& s) const {
  return RuntimeNamed(s.runtime_name, s.runtime_path, s.runtime_root);
}
oci::OciRuntime Server::RuntimeFor(const Container& c) const {
  return RuntimeNamed(c.runtime_name, c.runtime_path, c.runtime_root);
}

oci::CgroupManager Server::CgroupDriver() const {
  return config_.cgroup_manager == "systemd" ? oci::CgroupManager::kSystemd
                                             : oci::CgroupManager::kCgroupfs;
}

oci::ConmonDriver Server::Conmon() const {
  oci::ConmonConfig c;
  c.conmon_path = config_.conmon;
  c.create_timeout = std::chrono::seconds(config_.runtime_create_timeout_seconds);
  return oci::ConmonDriver(c);
}

oci::ConmonCreateRequest Server::ConmonRequestFor(const std::string& id, const std::string& name,
                                                  const std::string& bundle,
                                                  const std::string& run_dir,
                                                  const std::string& log_path) const {
  oci::ConmonCreateRequest r;
  r.id = id;
  r.name = name;
  r.bundle = bundle;
  r.container_pidfile = run_dir + "/pid";
  r.conmon_pidfile = run_dir + "/conmon.pid";
  r.log_path = log_path;
  r.exit_dir = ExitDir();
  r.persist_dir = run_dir;
  r.socket_dir = run_dir;
  return r;
}

Status Server::RemoveObjectFiles(const std::string& id, const std::string& bundle,
                                 const std::string& run_dir) const {
  Status first = OkStatus();
  auto keep = [&first](Status s) {
    if (first.ok() && !s.ok()) first = std::move(s);
  };
  keep(UnmountRecursive(run_dir));
  keep(UnmountRecursive(bundle));
  keep(RemoveAll(run_dir));
  keep(RemoveAll(bundle));
  const std::string exit_file = ExitDir() + "/" + id;
  if (unlink(exit_file.c_str()) != 0 && errno != ENOENT)
    keep(ErrnoError("remove " + exit_file, errno));
  return first;
}

Status Server::InitRuntime() {
  for (const auto& [name, r] : config_.runtimes) {
    oci::RuntimeEntry entry{r.path, r.root, r.type, r.allowed_annotations};
    if (r.type == "oci" && access(r.path.c_str(), X_OK) == 0) {
      if (Result<oci::RuntimeIdentity> id = oci::ProbeRuntimeIdentity(r.path); id.ok()) {
        runtime_ids_[r.path] = *id;
        entry.kind = id->kind;
        spdlog::info("runtime {}: {} ({})", name, id->version, oci::RuntimeKindName(id->kind));
      } else {
        spdlog::warn("runtime {}: {}; taken as runc-compatible", name, id.status().message());
      }
    }
    routing_.runtimes[name] = entry;
  }
  routing_.default_runtime = config_.default_runtime;
  routing_.trusted_runtime = config_.trusted_runtime;
  routing_.untrusted_runtime = config_.untrusted_runtime;
  routing_.default_workload_trust = config_.default_workload_trust;
  routing_.untrusted_fallback_to_trusted = config_.untrusted_fallback_to_trusted;
  routing_.forbid_trusted_opt_out = config_.forbid_trusted_opt_out;

  node_ = oci::ProbeNode();
  spdlog::info(
      "node: cgroup {} with controllers [{}], swap accounting {}; capabilities not held: [{}]",
      node_.cgroups.ModeName(), fmt::join(node_.cgroups.controllers, ","),
      node_.cgroups.swap_accounting ? "on" : "off",
      fmt::join(oci::CapabilityNames(~node_.held_capabilities), ","));

  pause_binary_ = FindPauseBinary();
  if (pause_binary_.empty()) spdlog::warn("berth-pause not found: pods cannot start");

  BERTH_RETURN_IF_ERROR(MkdirAll(config_.root + "/sandboxes", 0711));
  BERTH_RETURN_IF_ERROR(MkdirAll(config_.runroot + "/sandboxes", 0711));
  BERTH_RETURN_IF_ERROR(MkdirAll(config_.root + "/containers", 0711));
  BERTH_RETURN_IF_ERROR(MkdirAll(config_.runroot + "/containers", 0711));
  BERTH_RETURN_IF_ERROR(MkdirAll(ExitDir(), 0700));

  cni::CniOptions cni_options;
  cni_options.conf_dir = config_.cni.conf_dir;
  cni_options.plugin_dirs = config_.cni.plugin_dirs;
  // RunPodSandbox's pinned network namespace has lo up already (pkg/ns sets
  // it when it makes the namespace): the loopback plugin would only cost a
  // process per pod, on the pod's critical path before the bridge ADD.
  cni_options.bring_up_loopback = false;
  cni_options.cache_dir =
      config_.cni.cache_dir.empty() ? config_.root + "/cni-cache" : config_.cni.cache_dir;
  network_ = std::make_unique<cni::CniNetwork>(cni_options);
  BERTH_RETURN_IF_ERROR(network_->StartWatching());
  pod_cidr_ = std::make_unique<PodCidrKeeper>(config_.root + "/runtime-config.json",
                                              config_.cni.network_config_template,
                                              config_.cni.conf_dir, *network_);
  pod_cidr_->Restore();

  for (const auto& [name, r] : config_.runtimes) {
    if (r.type != "oci" || access(r.path.c_str(), X_OK) != 0) continue;
    Result<oci::RuntimeFeatures> f = RuntimeNamed(name, r.path, r.root).Features();
    if (f.ok()) {
      features_[name] = *f;
    } else {
      spdlog::info("runtime {}: no features reported ({})", name, f.status().message());
    }
  }

  // Started by Start() once restore has rebuilt memory (see restore.cc).
  exit_watcher_ = std::make_unique<oci::ExitWatcher>(
      ExitDir(), [this](const oci::ExitInfo& exit) { OnExit(exit); });
  return OkStatus();
}

void Server::OnExit(const oci::ExitInfo& exit) {
  // Exact IDs only: an exit file names a full ID, never a prefix.
  if (Result<std::shared_ptr<Container>> c = containers_.Get(exit.id);
      c.ok() && (*c)->id == exit.id) {
    if (!RecordContainerExit(**c, exit)) return;
    // An operation in progress (start, stop, remove) persists the state
    // itself, and a removal may already have moved the bundle away.
    std::unique_lock<std::mutex> op((*c)->op_mu, std::try_to_lock);
    if (!op.owns_lock()) return;
    if (Status s = PersistContainerState(**c); !s.ok()) {
      spdlog::warn("container {}: {}", exit.id, s.message());
    }
    return;
  }
  Result<std::shared_ptr<Sandbox>> s = sandboxes_.Get(exit.id);
  if (!s.ok() || (*s)->id != exit.id) return;
  sandboxes_.Write([&] {
    if ((*s)->stage.empty() && (*s)->state == runtime::v1::SANDBOX_READY) {
      spdlog::info("pod sandbox {}: infra process exited with {}; sandbox is not ready", exit.id,
                   exit.exit_code);
      (*s)->state = runtime::v1::SANDBOX_NOTREADY;
    }
  });
  AnnounceSandbox(**s);
}

}  // namespace berth::daemon
