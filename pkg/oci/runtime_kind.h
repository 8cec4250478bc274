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
//     sharing the host's cannot run on it.
#pragma once

#include <string>
#include <string_view>

#include "pkg/base/status.h"

namespace berth::oci {

enum class RuntimeKind {
  kRuncCompatible,
  kGvisor,
};

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
