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
//     whole (see config/berth.yaml.d/50-runsc.yaml).
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
