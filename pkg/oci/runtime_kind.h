// RuntimeKind: which family an OCI runtime binary belongs to, probed once
// from its `--version` output, so that pkg/oci can speak each family's
// dialect of the runc command line (the daemon never asks which it is).
//
//   runc-compatible (runc, crun, ...): the reference behaviour.
//   gVisor (runsc): no `features` or `update` command; `exec --pid-file`
//     names runsc itself, not the command (that one lives in the sandbox's
//     kernel, and is signalled with `runsc kill --pid`); containers of a pod
//     join the pod's sandbox through the CRI container-type annotations; and
//     the pod's own network, PID and IPC namespaces are gVisor's, so a pod
//     sharing the host's cannot run on it. Its loopback is in gVisor's
//     netstack (port-forward: gvisor_port_forward.h). Container memory
//     limits stay in the spec, but the pod's cgroup bounds the sandbox as a
//     whole (see config/berth.yaml.d/50-runsc.yaml); so does the host's OOM
//     killer (OomCgroupOwnerId, JudgeOomKill).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "pkg/base/status.h"

namespace berth::oci {

enum class RuntimeKind {
  kRuncCompatible,
  kGvisor,
};

// The highest capability number gVisor's kernel knows (CAP_AUDIT_READ, 37,
// in runsc 20221219): runsc refuses a container naming a later one.
inline constexpr int kGvisorLastCapability = 37;

// Global flags berth always gives a runtime of `kind`, on every command and
// through conmon. gVisor: --oci-seccomp, so that the seccomp profile a pod or
// container asks for (RuntimeDefault, Localhost) is enforced inside the
// sandbox on the workload's system calls; without it runsc drops the profile
// with a warning in its own log. (gVisor's own seccomp filter on the sandbox
// process applies either way.)
std::vector<std::string> RuntimeKindGlobalFlags(RuntimeKind kind);

// The ID whose cgroup (SandboxCgroupsPath under the pod's parent) counts the
// OOM kills that end a container. runc-compatible: the container's own, which
// holds its processes. gVisor: the pod sandbox's, since every container's
// memory is the sentry's and the sentry lives in the sandbox's cgroup (runsc
// 20221219 makes each container's cgroup but puts no process in it).
const std::string& OomCgroupOwnerId(RuntimeKind kind, const std::string& container_id,
                                    const std::string& sandbox_id);

// A container's exit as berth reports it, given conmon's record and whether
// OomCgroupOwnerId's cgroup counted an OOM kill.
struct OomVerdict {
  bool oom_killed = false;
  int exit_code = -1;
  std::string message;  // for ContainerStatus when oom_killed
};
// runc-compatible: an OOM kill in the container's cgroup means it was OOM
// killed; the code is conmon's. gVisor: the host's OOM killer SIGKILLs the
// sentry, which ends every container of the pod at once; a container's
// berth-gvisor-shim then finds `runsc wait` losing its sandbox and records
// kGvisorShimAbandoned (255), so that record (or a 137) with a kill counted
// means OOMKilled with 137 (128 + SIGKILL, the OOM killer's signal); any
// other code is one the container gave itself before the kill.
OomVerdict JudgeOomKill(RuntimeKind kind, int recorded_exit_code, bool cgroup_saw_oom_kill);

// "runc-compatible" or "gvisor" (Status verbose info, logs).
std::string_view RuntimeKindName(RuntimeKind kind);

struct RuntimeIdentity {
  RuntimeKind kind = RuntimeKind::kRuncCompatible;
  // The version line as the runtime printed it ("runsc version 0.0~20221219.0").
  std::string version;
};

// Reads `<runtime> --version` output: "runsc version ..." is gVisor; anything
// else (runc, crun, a wrapper passing through to one of them) runc-compatible.
RuntimeIdentity ParseVersionOutput(std::string_view text);

// Runs `<path> --version` (10 s at most). An error names the path and why.
Result<RuntimeIdentity> ProbeRuntimeIdentity(const std::string& path);

}  // namespace berth::oci
