// ContainerSpec: the OCI runtime-spec config.json of one container of a pod,
// built from the image's config and the CRI ContainerConfig.
//
// Kubernetes' precedence rules, in short:
//   args:  CRI command set -> command + CRI args;
//          else CRI args set -> image Entrypoint + CRI args;
//          else image Entrypoint + image Cmd. Nothing to run: InvalidArgument.
//   env:   image Env, then CRI envs (a CRI key replaces the image's).
//   cwd:   CRI working_dir, else image WorkingDir, else "/".
//   user:  run_as_user / run_as_username, else image USER; names resolved in
//          the container's own /etc/passwd and /etc/group (read inside the
//          rootfs, never following a link out of it).
// Everything from the CRI request and the image is treated as hostile: a bad
// field is InvalidArgument naming it ("container web: mounts[2].container_path
// \"rel/x\" is not absolute").
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pkg/base/status.h"
#include "pkg/oci/capabilities.h"
#include "pkg/oci/node_profile.h"
#include "pkg/oci/runtime_kind.h"
#include "pkg/oci/sandbox_spec.h"
#include "runtime/v1/api.pb.h"

namespace berth::oci {

// What container creation uses of the image config (kept free of pkg/image).
struct ImageDefaults {
  std::vector<std::string> entrypoint;
  std::vector<std::string> cmd;
  std::vector<std::string> env;  // "KEY=value"
  std::string working_dir;
  std::string user;                  // "", "name", "uid", "uid:gid", "name:group", ...
  std::vector<std::string> volumes;  // absolute container paths
};

// What the pod provides to each of its containers.
struct PodContext {
  std::string sandbox_id;
  // Pinned namespace files of the pod; "" = the host's namespace.
  std::string net_ns_path, ipc_ns_path, uts_ns_path;
  // The infra process's PID namespace (/proc/<pid>/ns/pid) for POD-level PID
  // sharing; "" with host_pid.
  std::string pid_ns_path;
  bool host_pid = false;
  // The family of the pod's runtime. gVisor shares a pod's PID namespace
  // its own way: see Namespaces in container_spec.cc.
  RuntimeKind runtime_kind = RuntimeKind::kRuncCompatible;
  // Per-pod files bind-mounted into every container ("" = not mounted).
  std::string hostname_file, hosts_file, resolv_conf_file;
  std::string shm_path;  // "/dev/shm" source: the pod's tmpfs, or the host's
  std::string hostname;  // set in the spec only with the pod's UTS namespace
  CgroupManager cgroup_manager = CgroupManager::kCgroupfs;
  std::string cgroup_parent;                   // the pod's (as SandboxCgroupsPath takes it)
  std::map<std::string, std::string> sysctls;  // the pod's, already validated
  bool privileged =
      false;  // the pod's privileged flag (a container may be privileged only if the pod is)
  // Pod-level security context values a container inherits unless it sets its own.
  std::optional<int64_t> run_as_user, run_as_group;
  std::vector<int64_t> supplemental_groups;
};

// The user a container's process runs as.
struct ResolvedUser {
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::vector<uint32_t> additional_gids;  // sorted, unique, without gid
  std::string home = "/";                 // from /etc/passwd (for HOME)
};

struct ContainerSpecOptions {
  std::string id;      // container ID (64 hex)
  std::string name;    // CRI metadata name, for messages
  std::string rootfs;  // the mounted root filesystem (absolute)
  // Where anonymous directories for image Volumes are created (absolute,
  // exists); each volume gets a subdirectory.
  std::string volumes_dir;
  runtime::v1::ContainerConfig config;
  ImageDefaults image;
  PodContext pod;
  std::map<std::string, std::string> annotations;  // berth's own + the allowed CRI ones
  bool clamp_oom_score_adj = true;
  std::optional<int> own_oom_score_adj;  // nullopt = read /proc/self/oom_score_adj
  // The complete linux.seccomp object (pkg/seccomp ProfileFor); nullopt = none.
  std::optional<nlohmann::json> seccomp;
  // NamespaceMode TARGET: the PID namespace file (/proc/<pid>/ns/pid) of the
  // container named by namespace_options.target_id, resolved by the caller.
  std::string target_pid_ns_path;
  // Whether the runtime and kernel can make a bind mount read-only
  // recursively ("rro": runc >= 1.1 on Linux >= 5.12); a mount asking for
  // recursive_read_only is refused when false.
  bool supports_recursive_read_only = true;
  // Where the propagation of a mount's host path is looked up (tests inject
  // a file).
  std::string mountinfo_path = "/proc/self/mountinfo";
  // nullopt = detect on this host (/sys/module/apparmor/parameters/enabled,
  // /sys/fs/selinux); tests set them.
  std::optional<bool> apparmor_enabled, selinux_enabled;
  // What the node offers (cgroup controllers, the daemon's capabilities): the
  // spec asks for nothing beyond it. Unprobed (the default) = no limits.
  NodeProfile node;
};

// The container's capability set ("CAP_CHOWN", ...): the runtime's defaults
// with CRI add/drop applied ("ALL" in either list, add wins over drop as in
// Kubernetes), or every capability the daemon holds for privileged
// containers; always within `held`. The ones asked for but not held are
// appended to *not_held (when given) for a log line. InvalidArgument names an
// unknown capability.
Result<std::vector<std::string>> EffectiveCapabilities(
    const runtime::v1::ContainerConfig& config, const PodContext& pod, CapabilityMask held,
    std::vector<std::string>* not_held = nullptr);

// Checks the parts of a ContainerConfig that need no image or rootfs
// (metadata, paths, devices, capabilities, resources, seccomp/apparmor/
// selinux options), so CreateContainer can refuse bad input before it
// reserves or mounts anything.
Status ValidateContainerConfig(const runtime::v1::ContainerConfig& config, const PodContext& pod);

// Resolves the process user (see the header comment) against `rootfs`.
// NotFound-style failures ("user \"app\" not found in the image's
// /etc/passwd") are InvalidArgument, as the kubelet treats them.
Result<ResolvedUser> ResolveUser(const std::string& rootfs,
                                 const runtime::v1::ContainerConfig& config,
                                 const ImageDefaults& image, const PodContext& pod);

// Builds config.json. May create directories on the host: a missing mount
// host path (as the kubelet expects) and the anonymous image volumes under
// volumes_dir. What the node cannot honour (options.node) is left out and
// described in *degraded, when given, for the caller's log line.
Result<nlohmann::json> BuildContainerSpec(const ContainerSpecOptions& options,
                                          std::vector<std::string>* degraded = nullptr);

// The OCI LinuxResources object for CRI resources (used by
// UpdateContainerResources and by BuildContainerSpec).
Result<nlohmann::json> ResourcesToOci(const runtime::v1::LinuxContainerResources& resources);

// The signal number for an image StopSignal ("SIGTERM", "TERM", "15");
// "" -> SIGTERM. InvalidArgument for an unknown name.
Result<int> ParseStopSignal(const std::string& stop_signal);

}  // namespace berth::oci
