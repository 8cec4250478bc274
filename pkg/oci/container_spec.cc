// BuildContainerSpec: a container's config.json, read top to bottom as the
// steps of assembling it.
#include "pkg/oci/container_spec.h"

#include <sys/stat.h>

#include <map>

#include "pkg/base/quote.h"
#include "pkg/oci/container_internal.h"
#include "pkg/oci/spec_defaults.h"

namespace berth::oci {
namespace {

using internal::IsCleanAbsolutePath;
using nlohmann::json;

constexpr const char* kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

bool HasNul(const std::string& s) {
  return s.find('\0') != std::string::npos;
}

// Kubernetes' rule: command replaces the image's Entrypoint (and drops its
// Cmd); args alone replace only the Cmd.
Result<std::vector<std::string>> ProcessArgs(const runtime::v1::ContainerConfig& c,
                                             const ImageDefaults& image, const std::string& who) {
  std::vector<std::string> args;
  if (c.command_size() > 0) {
    args.assign(c.command().begin(), c.command().end());
    args.insert(args.end(), c.args().begin(), c.args().end());
  } else if (c.args_size() > 0) {
    args = image.entrypoint;
    args.insert(args.end(), c.args().begin(), c.args().end());
  } else {
    args = image.entrypoint;
    args.insert(args.end(), image.cmd.begin(), image.cmd.end());
  }
  if (args.empty()) {
    return InvalidArgument(who +
                           ": command: nothing to run (no command or args, and the image "
                           "has no Entrypoint or Cmd)");
  }
  if (args[0].empty()) return InvalidArgument(who + ": command: the program name is empty");
  for (const auto& a : args) {
    if (HasNul(a)) return InvalidArgument(who + ": command: an argument holds a NUL");
  }
  return args;
}

// Image Env, then the CRI's (same key: the CRI value, in the image's place),
// then the defaults a process expects when nobody set them.
Result<std::vector<std::string>> ProcessEnv(const ContainerSpecOptions& o, const ResolvedUser& user,
                                            const std::string& who) {
  std::vector<std::pair<std::string, std::string>> env;
  std::map<std::string, size_t> index;
  auto set = [&](const std::string& k, const std::string& v) {
    auto it = index.find(k);
    if (it != index.end()) {
      env[it->second].second = v;
      return;
    }
    index[k] = env.size();
    env.emplace_back(k, v);
  };
  if (!o.pod.hostname.empty()) set("HOSTNAME", o.pod.hostname);
  for (size_t i = 0; i < o.image.env.size(); ++i) {
    const std::string& kv = o.image.env[i];
    size_t eq = kv.find('=');
    if (eq == 0 || eq == std::string::npos || HasNul(kv)) {
      return InvalidArgument(who + ": image env[" + std::to_string(i) + "] " + QuoteForMessage(kv) +
                             " is not KEY=value");
    }
    set(kv.substr(0, eq), kv.substr(eq + 1));
  }
  for (int i = 0; i < o.config.envs_size(); ++i) {
    const auto& e = o.config.envs(i);
    if (e.key().empty() || e.key().find('=') != std::string::npos || HasNul(e.key()) ||
        HasNul(e.value())) {
      return InvalidArgument(who + ": envs[" + std::to_string(i) + "].key " +
                             QuoteForMessage(e.key()) + " is empty or holds '=' or NUL");
    }
    set(e.key(), e.value());
  }
  if (!index.contains("PATH")) set("PATH", kDefaultPath);
  if (!index.contains("HOME")) set("HOME", user.home);
  if (o.config.tty() && !index.contains("TERM")) set("TERM", "xterm");
  std::vector<std::string> out;
  for (const auto& [k, v] : env) out.push_back(k + "=" + v);
  return out;
}

Result<std::string> ProcessCwd(const runtime::v1::ContainerConfig& c, const ImageDefaults& image,
                               const std::string& who) {
  const std::string& cwd = !c.working_dir().empty() ? c.working_dir() : image.working_dir;
  if (cwd.empty()) return std::string("/");
  if (cwd[0] != '/' || HasNul(cwd)) {
    return InvalidArgument(who + ": " +
                           (c.working_dir().empty() ? "image WorkingDir " : "working_dir ") +
                           QuoteForMessage(cwd) + " is not absolute");
  }
  return cwd;
}

json Namespace(const std::string& type, const std::string& path = "") {
  json ns{{"type", type}};
  if (!path.empty()) ns["path"] = path;
  return ns;
}

Status CheckNsPath(const std::string& who, const char* what, const std::string& path) {
  if (path.empty() || IsCleanAbsolutePath(path)) return OkStatus();
  return InvalidArgument(who + ": " + what + " namespace path " + QuoteForMessage(path) +
                         " is not a clean absolute path");
}

bool HostIsCgroupV2() {
  struct stat st;
  return stat("/sys/fs/cgroup/cgroup.controllers", &st) == 0;
}

Result<json> Namespaces(const ContainerSpecOptions& o, const std::string& who) {
  const auto& pod = o.pod;
  BERTH_RETURN_IF_ERROR(CheckNsPath(who, "network", pod.net_ns_path));
  BERTH_RETURN_IF_ERROR(CheckNsPath(who, "IPC", pod.ipc_ns_path));
  BERTH_RETURN_IF_ERROR(CheckNsPath(who, "UTS", pod.uts_ns_path));
  BERTH_RETURN_IF_ERROR(CheckNsPath(who, "pod PID", pod.pid_ns_path));
  BERTH_RETURN_IF_ERROR(CheckNsPath(who, "target PID", o.target_pid_ns_path));
  json ns = json::array();
  switch (o.config.linux().security_context().namespace_options().pid()) {
    case runtime::v1::CONTAINER:
      ns.push_back(Namespace("pid"));
      break;
    case runtime::v1::POD:
      if (pod.host_pid) break;
      // gVisor's kernel puts a container without a PID namespace in the
      // spec into the sandbox's own, where the pod's infra process is pid 1:
      // the pod's namespace, as with runc. A path would instead be a key
      // among the pod's containers, owned by the first one that names it and
      // dead (fork fails with ENOMEM) once that container exits.
      if (pod.runtime_kind == RuntimeKind::kGvisor) break;
      if (pod.pid_ns_path.empty()) {
        return InvalidArgument(
            who + ": namespace_options.pid is POD but the pod's PID namespace is unknown");
      }
      ns.push_back(Namespace("pid", pod.pid_ns_path));
      break;
    case runtime::v1::NODE:
      if (!pod.host_pid) {
        return InvalidArgument(who +
                               ": namespace_options.pid is NODE but the pod does not use the "
                               "host's PID namespace");
      }
      break;
    case runtime::v1::TARGET:
      if (pod.runtime_kind == RuntimeKind::kGvisor) {
        // Inside gVisor a container's PID namespace has no host path to
        // join it by (see POD above).
        return FailedPrecondition(who +
                                  ": namespace_options.pid TARGET (another container's PID "
                                  "namespace) is not available on a gVisor runtime");
      }
      if (o.target_pid_ns_path.empty()) {
        return InvalidArgument(
            who + ": namespace_options.pid is TARGET but the PID namespace of target " +
            QuoteForMessage(o.config.linux().security_context().namespace_options().target_id()) +
            " was not resolved");
      }
      ns.push_back(Namespace("pid", o.target_pid_ns_path));
      break;
    default:
      return InvalidArgument(who + ": namespace_options.pid is unknown");
  }
  if (!pod.net_ns_path.empty()) ns.push_back(Namespace("network", pod.net_ns_path));
  if (!pod.ipc_ns_path.empty()) ns.push_back(Namespace("ipc", pod.ipc_ns_path));
  if (!pod.uts_ns_path.empty()) ns.push_back(Namespace("uts", pod.uts_ns_path));
  ns.push_back(Namespace("mount"));
  // On cgroup v2 a private cgroup namespace shows the container its own
  // cgroup as the root (as containerd does for unprivileged containers).
  if (!o.config.linux().security_context().privileged() && HostIsCgroupV2()) {
    ns.push_back(Namespace("cgroup"));
  }
  return ns;
}

}  // namespace

Result<json> BuildContainerSpec(const ContainerSpecOptions& o, std::vector<std::string>* degraded) {
  std::vector<std::string> left_out;
  const auto& c = o.config;
  const auto& sc = c.linux().security_context();
  const std::string who = internal::Who(o.name.empty() ? c.metadata().name() : o.name);
  internal::HostSecurity host = internal::DetectHostSecurity();
  if (o.apparmor_enabled) host.apparmor = *o.apparmor_enabled;
  if (o.selinux_enabled) host.selinux = *o.selinux_enabled;

  // 1. Refuse bad input before touching the host.
  BERTH_RETURN_IF_ERROR(internal::ValidateContainerConfigOn(c, o.pod, host));
  if (!IsCleanAbsolutePath(o.rootfs)) {
    return InvalidArgument(who + ": rootfs " + QuoteForMessage(o.rootfs) +
                           " is not a clean absolute path");
  }
  auto cgroups_path = SandboxCgroupsPath(o.pod.cgroup_manager, o.pod.cgroup_parent, o.id);
  if (!cgroups_path.ok()) return cgroups_path.status().WithContext(who);
  BERTH_ASSIGN_OR_RETURN(json namespaces, Namespaces(o, who));

  // 2. The process: what runs, as whom, with what.
  BERTH_ASSIGN_OR_RETURN(std::vector<std::string> args, ProcessArgs(c, o.image, who));
  BERTH_ASSIGN_OR_RETURN(ResolvedUser user, ResolveUser(o.rootfs, c, o.image, o.pod));
  BERTH_ASSIGN_OR_RETURN(std::vector<std::string> env, ProcessEnv(o, user, who));
  BERTH_ASSIGN_OR_RETURN(std::string cwd, ProcessCwd(c, o.image, who));
  std::vector<std::string> caps_not_held;
  BERTH_ASSIGN_OR_RETURN(std::vector<std::string> caps,
                         EffectiveCapabilities(c, o.pod, o.node.held_capabilities, &caps_not_held));
  for (const std::string& cap : caps_not_held)
    left_out.push_back(cap + " (berthd does not hold it)");
  if (o.pod.runtime_kind == RuntimeKind::kGvisor) {
    // runsc refuses to start a container naming a capability its kernel
    // lacks ("unknown capability"), which a privileged or ALL-capabilities
    // container on a newer host would otherwise always do.
    std::erase_if(caps, [&](const std::string& cap) {
      std::optional<int> n = CapabilityNumber(cap);
      if (!n || *n <= kGvisorLastCapability) return false;
      left_out.push_back(cap + " (gVisor's kernel does not have it)");
      return true;
    });
  }
  auto oom = ClampOomScoreAdj(static_cast<int>(c.linux().resources().oom_score_adj()),
                              o.clamp_oom_score_adj, o.own_oom_score_adj);
  if (!oom.ok()) return oom.status().WithContext(who);
  if (*oom != c.linux().resources().oom_score_adj()) {
    left_out.push_back("oom_score_adj " + std::to_string(c.linux().resources().oom_score_adj()) +
                       " raised to " + std::to_string(*oom) + " (below berthd's own)");
  }
  BERTH_ASSIGN_OR_RETURN(std::string apparmor, internal::AppArmorProfile(c, host));

  json process{
      {"terminal", c.tty()},
      {"user", {{"uid", user.uid}, {"gid", user.gid}}},
      {"args", args},
      {"env", env},
      {"cwd", cwd},
      {"capabilities",
       {{"bounding", caps},
        {"effective", caps},
        {"permitted", caps},
        {"inheritable", json::array()},
        {"ambient", json::array()}}},
      {"noNewPrivileges", sc.no_new_privs()},
      {"oomScoreAdj", *oom},
  };
  if (!user.additional_gids.empty()) process["user"]["additionalGids"] = user.additional_gids;
  if (!apparmor.empty()) process["apparmorProfile"] = apparmor;
  if (std::string label = internal::SelinuxLabel(c, host); !label.empty()) {
    process["selinuxLabel"] = label;
  }

  // 3. Resources and devices.
  auto resources = ResourcesToOci(c.linux().resources());
  if (!resources.ok()) return resources.status().WithContext(who);
  BERTH_ASSIGN_OR_RETURN(internal::DevicePlan devices, internal::ContainerDevices(c, who));
  (*resources)["devices"] = devices.cgroup_rules;
  for (std::string& what : FitResourcesToNode(&*resources, o.node))
    left_out.push_back(std::move(what));

  // 4. Mounts (may create host directories: do it after every check).
  BERTH_ASSIGN_OR_RETURN(internal::MountPlan mounts, internal::ContainerMounts(o));

  // 5. The rest of linux: namespaces, cgroup, masking, sysctls, seccomp.
  json linux_{
      {"namespaces", namespaces},
      {"cgroupsPath", *cgroups_path},
      {"resources", *resources},
  };
  if (!devices.devices.empty()) linux_["devices"] = devices.devices;
  if (sc.privileged()) {
    linux_["maskedPaths"] = json::array();
    linux_["readonlyPaths"] = json::array();
  } else {
    linux_["maskedPaths"] =
        sc.masked_paths_size() > 0
            ? json(std::vector<std::string>(sc.masked_paths().begin(), sc.masked_paths().end()))
            : json(DefaultMaskedPaths());
    linux_["readonlyPaths"] =
        sc.readonly_paths_size() > 0
            ? json(std::vector<std::string>(sc.readonly_paths().begin(), sc.readonly_paths().end()))
            : json(DefaultReadonlyPaths());
  }
  if (!o.pod.sysctls.empty()) linux_["sysctl"] = o.pod.sysctls;
  if (o.seccomp) {
    if (!o.seccomp->is_object())
      return InvalidArgument(who + ": seccomp profile must be a JSON object");
    linux_["seccomp"] = *o.seccomp;
  }
  if (!mounts.rootfs_propagation.empty()) linux_["rootfsPropagation"] = mounts.rootfs_propagation;

  json spec{
      {"ociVersion", "1.0.2"},
      {"process", process},
      {"root", {{"path", o.rootfs}, {"readonly", sc.readonly_rootfs()}}},
      {"mounts", mounts.mounts},
      {"annotations", o.annotations},
      {"linux", linux_},
  };
  if (!o.pod.uts_ns_path.empty() && !o.pod.hostname.empty()) spec["hostname"] = o.pod.hostname;
  if (degraded != nullptr) *degraded = std::move(left_out);
  return spec;
}

}  // namespace berth::oci
