// Defaults shared by the sandbox and container specs.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pkg/base/status.h"

namespace berth::oci {

// /proc and /sys entries an unprivileged process must not see (masked) or
// write (read-only).
const std::vector<std::string>& DefaultMaskedPaths();
const std::vector<std::string>& DefaultReadonlyPaths();

// The oom_score_adj to put in a spec: `wanted`, raised to the daemon's own
// value when `clamp` is set (without CAP_SYS_RESOURCE the runtime cannot go
// below it). `own` nullopt = read /proc/self/oom_score_adj.
Result<int> ClampOomScoreAdj(int wanted, bool clamp, std::optional<int> own);

// One entry of the spec's "mounts".
nlohmann::json MountEntry(const std::string& dest, const std::string& type,
                          const std::string& source, std::vector<std::string> options);

// The mounts the runtime sets up for every process of a pod, its infra
// process and its containers alike: /proc, /dev, /dev/pts, /dev/shm (a bind
// of `shm_path`, the pod's shared one, or else a private tmpfs), /dev/mqueue
// when the process has an IPC namespace of its own, and /sys mounted
// `sys_mode` ("ro" or "rw"). `shm_path` is trusted: callers check it.
struct PodMountsOptions {
  std::string shm_path;
  bool own_ipc_ns = false;
  bool own_net_ns = false;
  std::string sys_mode = "ro";
};
std::vector<nlohmann::json> PodRuntimeMounts(const PodMountsOptions& options);

}  // namespace berth::oci
