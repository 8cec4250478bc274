// Restore (at start-up) and Update (on demand): memory rebuilt from disk.
//
// What recovery assumes, and why it can:
//  1. config.json is written atomically (temp, fsync, rename, fsync dir), so
//     it is either whole or absent; one that does not parse was damaged
//     outside berth and is set aside in <root>/quarantine, never dropped.
//  2. A bundle holding the .creating marker (or nothing at all) is a creation
//     a crash interrupted: it is undone completely. One holding .removing is
//     a removal a crash interrupted: it is finished.
//  3. The runtime recorded in an object's annotations is the one to ask about
//     it, whatever the routing config says today.
//  4. Exit files are read here, and the exit watcher, started after restore,
//     reports every exit file again; recording an exit is idempotent, so an
//     exit that happens while restore runs is not missed.
//  5. Everything an object holds outside its bundle is named by its ID
//     (run dir, pinned namespaces, CNI cache entry, exit file, runtime
//     state), so it can be released even when config.json is unreadable.
#include <unistd.h>

#include <google/protobuf/util/json_util.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>

#include "daemon/bundle_marker.h"
#include "daemon/conmon_liveness.h"
#include "daemon/container_events.h"
#include "daemon/container_record.h"
#include "daemon/image_manager.h"
#include "daemon/internal_annotations.h"
#include "daemon/object_ids.h"
#include "daemon/pod_network_request.h"
#include "daemon/sandbox_record.h"
#include "daemon/server.h"
#include "pkg/fs/atomic_file.h"
#include "pkg/fs/dir.h"
#include "pkg/fs/mount.h"
#include "pkg/metrics/daemon_metrics.h"
#include "pkg/ns/pinned_namespaces.h"
#include "pkg/oci/conmon.h"

namespace berth::daemon {

namespace rt = runtime::v1;
namespace stdfs = std::filesystem;

namespace {

// Caps on what restore reads into memory: a file on disk past these was not
// written by berth (a spec carries at most a 16 MiB CRI request's worth).
constexpr size_t kMaxSpecBytes = 64 << 20;
constexpr size_t kMaxStateBytes = 4 << 20;

bool IsObjectId(const std::string& s) {
  return s.size() == 64 && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

// An empty bundle, or one holding only the temp file of an atomic write a
// crash cut short (the .creating marker's own, when the kill came between its
// create and rename): nothing of the object was recorded yet.
bool HoldsNothingYet(const std::string& dir) {
  Result<std::vector<std::string>> names = ListDir(dir);
  return names.ok() && std::all_of(names->begin(), names->end(), [](const std::string& name) {
           return IsAtomicWriteTempName(name);
         });
}

// The annotations of a bundle's config.json.
Result<std::map<std::string, std::string>> ReadAnnotations(const std::string& bundle) {
  const std::string path = bundle + "/config.json";
  BERTH_ASSIGN_OR_RETURN(std::string text, ReadFile(path, kMaxSpecBytes));
  nlohmann::json spec = nlohmann::json::parse(text, nullptr, false);
  if (spec.is_discarded()) return InvalidArgument(path + " is not JSON (truncated?)");
  if (!spec.is_object() || !spec.contains("annotations") || !spec["annotations"].is_object()) {
    return InvalidArgument(path + " has no annotations");
  }
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : spec.at("annotations").items()) {
    if (v.is_string()) out[k] = v.get<std::string>();
  }
  return out;
}

void LogIfError(const Status& s, const std::string& what) {
  if (!s.ok()) spdlog::warn("restore: {}: {}", what, s.message());
}

// Applies the state.json in `bundle`, if there is one, with `apply`. A missing
// file is fine (a crash before the first state write); one that cannot be read
// or parsed is an error naming it, for the caller to quarantine the object.
template <typename Object>
Status ApplyStateFile(const std::string& bundle, Object* object,
                      Status (*apply)(const std::string&, Object*)) {
  const std::string path = bundle + "/state.json";
  Result<std::string> text = ReadFile(path, kMaxStateBytes);
  if (!text.ok()) {
    if (text.status().code() == Code::kNotFound) return OkStatus();
    return text.status();
  }
  return apply(*text, object).WithContext(path);
}

// Step 1 of loading a sandbox or a container from `dir`: a removal or a
// creation a crash interrupted is completed (the removal finished, the
// creation undone) by releasing what the object holds outside its bundle and
// removing the bundle. True when it was one of those, and `dir` is now gone.
bool FinishedInterrupted(std::string_view kind, const std::string& id, const std::string& dir,
                         const std::function<void()>& release_leftovers) {
  const bool removing = HasMarker(dir, kRemovingMarker);
  if (!removing && !HasMarker(dir, kCreatingMarker) && !HoldsNothingYet(dir)) return false;
  release_leftovers();
  LogIfError(RemoveAll(dir), "remove " + dir);
  spdlog::info("restore: {} {}: {} interrupted by a crash; completed", kind, id,
               removing ? "removal" : "creation (undone)");
  return true;
}

}  // namespace

// ---- releasing what an object holds outside its bundle ----

std::vector<oci::OciRuntime> Server::RuntimesToAsk(
    const std::map<std::string, std::string>* annotations) const {
  std::vector<oci::OciRuntime> out;
  if (annotations != nullptr) {
    auto get = [&](const char* key) {
      auto it = annotations->find(InternalAnnotation(key));
      return it == annotations->end() ? std::string() : it->second;
    };
    if (!get("runtime-path").empty()) {
      out.push_back(RuntimeNamed(get("runtime"), get("runtime-path"), get("runtime-root")));
      return out;
    }
  }
  // Unknown: ask every configured runtime (delete of an unknown ID is a no-op).
  for (const auto& [name, r] : config_.runtimes) {
    if (r.type != "oci") continue;
    out.push_back(RuntimeNamed(name, r.path, r.root));
  }
  return out;
}

void Server::ReleaseSandboxLeftovers(const std::string& id,
                                     const std::map<std::string, std::string>* annotations) {
  const std::string run_dir = SandboxRunDir(id);
  KillConmon(run_dir);
  for (const auto& runtime : RuntimesToAsk(annotations)) {
    LogIfError(runtime.Delete(id, true), "delete infra " + id);
  }
  // CNI DEL from the cache; a pod never attached has no entry (a no-op).
  rt::PodSandboxConfig pod;  // empty unless the record's config can be read
  if (annotations != nullptr) {
    auto cfg = annotations->find(InternalAnnotation("sandbox-config"));
    if (cfg != annotations->end() &&
        !google::protobuf::util::JsonStringToMessage(cfg->second, &pod).ok()) {
      pod.Clear();
    }
  }
  LogIfError(
      network_->Detach(PodNetworkRequestFor(id, ns::PinPath(config_.runroot, "net", id), pod)),
      "CNI DEL " + id);
  LogIfError(UnmountRecursive(run_dir), "unmount " + run_dir);
  LogIfError(RemoveAll(run_dir), "remove " + run_dir);
  LogIfError(ns::UnpinNamespaces({ns::PinPath(config_.runroot, "net", id),
                                  ns::PinPath(config_.runroot, "ipc", id),
                                  ns::PinPath(config_.runroot, "uts", id)}),
             "unpin namespaces of " + id);
  ::unlink((ExitDir() + "/" + id).c_str());
}

void Server::ReleaseContainerLeftovers(const std::string& id,
                                       const std::map<std::string, std::string>* annotations) {
  const std::string run_dir = ContainerRunDir(id);
  KillConmon(run_dir);
  for (const auto& runtime : RuntimesToAsk(annotations)) {
    LogIfError(runtime.Delete(id, true), "delete container " + id);
  }
  LogIfError(UnmountRecursive(ContainerBundleDir(id)), "unmount rootfs of " + id);
  LogIfError(RemoveAll(run_dir), "remove " + run_dir);
  ::unlink((ExitDir() + "/" + id).c_str());
  LogIfError(platform_hooks_->ReleaseLeftovers(id, annotations), "platform setup of " + id);
}

void Server::Quarantine(const std::string& kind, const std::string& dir,
                        const std::string& reason) {
  const std::string qdir = config_.root + "/quarantine";
  const std::string target = qdir + "/" + kind + "-" + stdfs::path(dir).filename().string() + "-" +
                             std::to_string(NowNs());
  Status s = MkdirAll(qdir, 0700);
  if (s.ok()) s = UnmountRecursive(dir);
  if (s.ok() && ::rename(dir.c_str(), target.c_str()) != 0) s = ErrnoError("rename " + dir, errno);
  if (!s.ok()) {
    spdlog::error("restore: {} could not be set aside ({}): {}", dir, reason, s.message());
    return;
  }
  spdlog::error("restore: {} {} set aside as {}: {}", kind, dir, target, reason);
}

// ---- loading one object ----

void Server::LoadSandbox(const std::string& id) {
  const std::string dir = SandboxBundleDir(id);
  if (!IsObjectId(id)) return Quarantine("sandbox", dir, "not a sandbox ID");
  Result<std::map<std::string, std::string>> ann = ReadAnnotations(dir);
  const auto* known = ann.ok() ? &*ann : nullptr;
  // 1. Interrupted removal: finish it. Interrupted creation: undo it.
  if (FinishedInterrupted("pod sandbox", id, dir, [&] {
        ReleaseSandboxLeftovers(id, known);
        LogIfError(UnmountRecursive(dir), "unmount " + dir);
      })) {
    return;
  }
  // 2. The record: annotations, then the state file.
  Result<std::shared_ptr<Sandbox>> s =
      ann.ok() ? SandboxFromAnnotations(*ann) : Result<std::shared_ptr<Sandbox>>(ann.status());
  if (s.ok() && (*s)->id != id) s = InvalidArgument("annotations name another ID " + (*s)->id);
  if (!s.ok()) {
    ReleaseSandboxLeftovers(id, known);
    return Quarantine("sandbox", dir, s.status().message());
  }
  Sandbox& sb = **s;
  // A state file that does not parse leaves nothing to trust about the pod's
  // processes or network: its leftovers are released and it is set aside.
  if (Status a = ApplyStateFile(dir, &sb, &ApplySandboxStateJson); !a.ok()) {
    ReleaseSandboxLeftovers(id, known);
    return Quarantine("sandbox", dir, a.message());
  }
  // 3. Reconcile with the runtime: a gone infra process means NOTREADY.
  // Subscribers were told the recorded state; a change is announced below.
  events_->Seed(id, events::PhaseOf(sb.state));
  const std::string recorded = SandboxStateJson(sb);
  const bool exited = oci::ReadExitFile(ExitDir(), id).ok();
  if (sb.state == rt::SANDBOX_READY && (exited || !ConmonAlive(SandboxRunDir(id)))) {
    Result<oci::ContainerState> rs = RuntimeFor(sb).State(id);
    if (!rs.ok() || rs->status != "running") {
      spdlog::info("restore: pod sandbox {}: infra is {}; not ready", id,
                   rs.ok() ? rs->status : "gone");
      sb.state = rt::SANDBOX_NOTREADY;
      sb.pid = 0;
    }
  }
  // 4. Names and indexes.
  if (Status r = sandboxes_.names().Reserve(sb.name, id); !r.ok()) {
    ReleaseSandboxLeftovers(id, known);
    return Quarantine("sandbox", dir, r.message());
  }
  if (Status a = sandboxes_.Add(*s); !a.ok()) {
    sandboxes_.names().Release(sb.name);
    return Quarantine("sandbox", dir, a.message());
  }
  AnnounceSandbox(sb);
  // Written only when it changed: one fsync per object would dominate restore.
  if (SandboxStateJson(sb) != recorded) LogIfError(PersistSandboxState(sb), "state of " + id);
}

void Server::LoadContainer(const std::string& id) {
  const std::string dir = ContainerBundleDir(id);
  if (!IsObjectId(id)) return Quarantine("container", dir, "not a container ID");
  Result<std::map<std::string, std::string>> ann = ReadAnnotations(dir);
  const auto* known = ann.ok() ? &*ann : nullptr;
  if (FinishedInterrupted("container", id, dir, [&] { ReleaseContainerLeftovers(id, known); })) {
    return;
  }
  Result<std::shared_ptr<Container>> c =
      ann.ok() ? ContainerFromAnnotations(*ann) : Result<std::shared_ptr<Container>>(ann.status());
  if (c.ok() && (*c)->id != id) c = InvalidArgument("annotations name another ID " + (*c)->id);
  if (c.ok()) {
    Result<std::shared_ptr<Sandbox>> pod = sandboxes_.Get((*c)->sandbox_id);
    if (!pod.ok() || (*pod)->id != (*c)->sandbox_id) {
      c = FailedPrecondition("its pod sandbox " + (*c)->sandbox_id + " is gone");
    }
  }
  if (!c.ok()) {
    ReleaseContainerLeftovers(id, known);
    return Quarantine("container", dir, c.status().message());
  }
  Container& k = **c;
  Status loaded = OkStatus();
  if (Result<std::string> spec = ReadFile(dir + "/config.json", kMaxSpecBytes); spec.ok()) {
    nlohmann::json j = nlohmann::json::parse(*spec, nullptr, false);
    if (j.is_object() && j.contains("process")) {
      loaded = ApplyProcessUser(j.at("process"), &k).WithContext(dir + "/config.json");
    }
  }
  if (loaded.ok()) loaded = ApplyStateFile(dir, &k, &ApplyContainerStateJson);
  if (!loaded.ok()) {
    ReleaseContainerLeftovers(id, known);
    return Quarantine("container", dir, loaded.message());
  }
  if (Status r = containers_.names().Reserve(k.name, id); !r.ok()) {
    ReleaseContainerLeftovers(id, known);
    return Quarantine("container", dir, r.message());
  }
  if (Status a = containers_.Add(*c); !a.ok()) {
    containers_.names().Release(k.name);
    return Quarantine("container", dir, a.message());
  }
  ReconcileContainer(k);
}

void Server::ReconcileContainer(Container& c) {
  const std::string recorded = containers_.Read([&] { return ContainerStateJson(c); });
  // Subscribers were told the recorded state: what restore finds changed
  // since (an exit while berthd was down) is announced as new.
  events_->Seed(c.id, events::PhaseOf(containers_.Read([&] { return c.state; })));
  // An exit conmon recorded while berthd was away.
  if (Result<oci::ExitInfo> exit = oci::ReadExitFile(ExitDir(), c.id); exit.ok()) {
    RecordContainerExit(c, *exit);
  } else if (auto [recorded_state, started] =
                 containers_.Read([&] { return std::make_pair(c.state, c.started_at_ns); });
             (recorded_state == rt::CONTAINER_CREATED && started != 0) ||
             ((recorded_state == rt::CONTAINER_CREATED ||
               recorded_state == rt::CONTAINER_RUNNING) &&
              !ConmonAlive(ContainerRunDir(c.id)))) {
    // A start recorded but maybe not done (StartContainer writes the start
    // time first), or conmon gone without an exit file: ask the runtime. A
    // created container never started, with its conmon alive, needs no call.
    Result<oci::ContainerState> rs = RuntimeFor(c).State(c.id);
    containers_.Write([&] {
      if (rs.ok() && rs->status == "running") {
        c.state = rt::CONTAINER_RUNNING;
        c.pid = rs->pid;
      } else if (rs.ok() && rs->status == "created") {
        c.state = rt::CONTAINER_CREATED;
        c.started_at_ns = 0;  // a start recorded just before a crash never happened
      } else {
        // Neither an exit file nor a live process: the node rebooted, or the
        // runtime's state was lost. The exit code is unknown.
        c.state = rt::CONTAINER_EXITED;
        c.exit_code = 255;
        c.finished_at_ns = NowNs();
        if (c.started_at_ns == 0) c.started_at_ns = c.finished_at_ns;
        c.pid = 0;
        c.reason = "Unknown";
        c.message = "the container's process was gone when berthd started (node reboot?)";
      }
    });
  }
  if (containers_.Read([&] { return ContainerStateJson(c); }) != recorded) {
    LogIfError(PersistContainerState(c), "state of container " + c.id);
  }
  const rt::ContainerState state = containers_.Read([&] { return c.state; });
  LogIfError(platform_hooks_->OnRestore(c.id, c.platform_annotations, state),
             "platform setup of container " + c.id);
  AnnounceContainer(c);
}

// ---- the two entry points ----

Status Server::Update() {
  const std::string sandbox_root = config_.root + "/sandboxes";
  const std::string container_root = config_.root + "/containers";
  // Bundles a removal had moved aside: finish deleting them, and the exit
  // file the removal deletes last (a kill during the slow delete left it).
  for (const std::string& root : {sandbox_root, container_root}) {
    for (const auto& name : ListDirOrEmpty(root)) {
      if (name.rfind(kTrashPrefix, 0) != 0) continue;
      LogIfError(UnmountRecursive(root + "/" + name), "unmount " + name);
      LogIfError(RemoveAll(root + "/" + name), "remove " + name);
      const std::string id = name.substr(std::string_view(kTrashPrefix).size());
      if (IsObjectId(id)) ::unlink((ExitDir() + "/" + id).c_str());
    }
  }
  // Sandboxes first: a container needs its pod.
  for (const auto& id : ListDirOrEmpty(sandbox_root)) {
    if (id.rfind(kTrashPrefix, 0) == 0) continue;
    if (Result<std::shared_ptr<Sandbox>> s = sandboxes_.Get(id); s.ok() && (*s)->id == id) continue;
    LoadSandbox(id);
  }
  for (const auto& id : ListDirOrEmpty(container_root)) {
    if (id.rfind(kTrashPrefix, 0) == 0) continue;
    if (Result<std::shared_ptr<Container>> c = containers_.Get(id); c.ok() && (*c)->id == id)
      continue;
    LoadContainer(id);
  }
  // What vanished from disk leaves memory too.
  for (const auto& c : containers_.List()) {
    if (::access((c->bundle_dir + "/config.json").c_str(), F_OK) != 0 && c->stage.empty()) {
      containers_.names().Release(c->name);
      containers_.Remove(c->id);
      AnnounceContainerRemoved(*c);
    }
  }
  for (const auto& s : sandboxes_.List()) {
    if (::access((s->bundle_dir + "/config.json").c_str(), F_OK) != 0 && s->stage.empty()) {
      AnnounceSandboxRemoved(*s);
      sandboxes_.names().Release(s->name);
      sandboxes_.Remove(s->id);
    }
  }
  return OkStatus();
}

Status Server::Restore() {
  // A reboot empties runroot: the boot ID kept there tells.
  Result<std::string> boot_id = ReadFile("/proc/sys/kernel/random/boot_id");
  Result<std::string> seen = ReadFile(config_.runroot + "/boot_id");
  const bool rebooted = !seen.ok() || !boot_id.ok() || *seen != *boot_id;
  const bool clean = ::access(config_.shutdown_file.c_str(), F_OK) == 0;
  if (clean) ::unlink(config_.shutdown_file.c_str());
  spdlog::info("restore: {} start{}", clean ? "clean" : "unclean",
               rebooted ? " after a reboot (or first start)" : "");

  const auto started = std::chrono::steady_clock::now();
  // The platform's hooks, before any container is loaded (they release what it holds).
  BERTH_ASSIGN_OR_RETURN(platform_hooks_, ContainerPlatformHooks::ForThisHost());
  BERTH_RETURN_IF_ERROR(Update());
  // After loading: the sweep keeps the credential specs of created containers.
  platform_hooks_->SweepStale();
  const double took_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  metrics_->SetRestoreSeconds(took_ms / 1e3);
  size_t ready = 0, running = 0;
  for (const auto& s : sandboxes_.List()) ready += s->state == rt::SANDBOX_READY;
  for (const auto& c : containers_.List()) running += c->state == rt::CONTAINER_RUNNING;
  spdlog::info("restore: {} pod sandbox(es) ({} ready), {} container(s) ({} running) in {:.1f} ms",
               sandboxes_.List().size(), ready, containers_.List().size(), running, took_ms);

  // An unclean stop may have left partial layers: check the stores.
  if (!clean) {
    Result<std::vector<std::string>> bad = images_->layers().CheckIntegrity();
    if (!bad.ok()) {
      spdlog::warn("restore: layer integrity check: {}", bad.status().message());
    } else if (!bad->empty()) {
      spdlog::warn("restore: {} damaged layer(s) set aside", bad->size());
    }
  }
  if (boot_id.ok())
    LogIfError(WriteFileAtomic(config_.runroot + "/boot_id", *boot_id, 0644), "boot id");
  return OkStatus();
}

}  // namespace berth::daemon
