// SandboxSpec: the OCI runtime-spec config.json of a pod's infra process
// (berth-pause), and the tiny root filesystem it runs from.
//
// The infra process holds the pod's PID namespace and cgroup; the network,
// IPC and UTS namespaces it joins are pinned files (pkg/ns) so they outlive
// it. It runs with no capabilities, no new privileges, a read-only root and
// no seccomp filter unless one is asked for.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pkg/base/status.h"

namespace berth::oci {

enum class CgroupManager { kCgroupfs, kSystemd };

// Sandboxes without their own oom_score_adj get this one (as containerd does):
// the infra process is the last thing the kernel should kill.
inline constexpr int kDefaultSandboxOomScoreAdj = -998;

struct SandboxSpecOptions {
  std::string id;      // the sandbox ID (64 hex)
  std::string rootfs;  // absolute path of the prepared infra rootfs
  std::vector<std::string> args = {"/pause"};
  std::vector<std::string> env = {
      "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"};
  // Set only with a pod-owned UTS namespace.
  std::string hostname;

  // Pinned namespace files to join; empty = the host's namespace.
  std::string net_ns_path;
  std::string ipc_ns_path;
  std::string uts_ns_path;
  bool host_pid = false;

  CgroupManager cgroup_manager = CgroupManager::kCgroupfs;
  // cgroupfs: an absolute path ("/kubepods/pod123"); systemd: a slice name
  // ("kubepods-pod123.slice"). Empty = "/berth" or "system.slice".
  std::string cgroup_parent;

  // The pod's /dev/shm: a path bind-mounted in (a sized tmpfs the daemon
  // mounted, or "/dev/shm" with host IPC). Empty = a private 64 MiB tmpfs.
  std::string shm_path;

  uint32_t uid = 0;
  uint32_t gid = 0;
  std::vector<uint32_t> additional_gids;

  std::map<std::string, std::string> annotations;
  std::map<std::string, std::string> sysctls;  // validated by the caller (ValidateSysctls)

  int oom_score_adj = kDefaultSandboxOomScoreAdj;
  // Without CAP_SYS_RESOURCE a value below the daemon's own makes the runtime
  // fail; clamp to own_oom_score_adj instead.
  bool clamp_oom_score_adj = true;
  // The daemon's own value; nullopt = read /proc/self/oom_score_adj.
  std::optional<int> own_oom_score_adj;

  // A complete OCI LinuxSeccomp object; nullopt = no filter.
  std::optional<nlohmann::json> seccomp;
};

// The cgroupsPath for a sandbox: "<parent>/berth-<id>" (cgroupfs) or
// "<slice>:berth:<id>" (systemd). InvalidArgument for a parent that is not an
// absolute clean path (cgroupfs) or not a plain "*.slice" name (systemd).
Result<std::string> SandboxCgroupsPath(CgroupManager manager, const std::string& parent,
                                       const std::string& id);

// The value /proc/self/oom_score_adj holds.
Result<int> ReadOwnOomScoreAdj();

// Builds config.json. Errors name the bad option (InvalidArgument).
Result<nlohmann::json> BuildSandboxSpec(const SandboxSpecOptions& options);

// Creates `dir` (0755, parents must exist) holding the infra binary as /pause
// (mode 0755) plus the empty mount points the spec needs. Idempotent. /pause
// is a hard link to a root-owned 0755 binary on the same filesystem, else a
// copy.
Status PrepareInfraRootfs(const std::string& dir, const std::string& pause_binary);

}  // namespace berth::oci
