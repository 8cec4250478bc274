// RuntimeRouter: which OCI runtime a pod runs on, decided once at
// RunPodSandbox from the config and the pod (a pure function: no I/O).
//
// Order of the rules (first that applies wins):
//   1. runtime_handler set        -> that runtime (unknown: InvalidArgument)
//   2. privileged pod             -> trusted
//   3. io.kubernetes.cri-o.TrustedSandbox / io.berth.trusted-sandbox
//                                 -> "true" trusted, "false" untrusted,
//                                    anything else InvalidArgument
//   4. io.kubernetes.cri.untrusted-workload "true" -> untrusted
//   5. default_workload_trust
// With forbid_trusted_opt_out and default_workload_trust untrusted, rule 3's
// "true" is refused (FailedPrecondition naming the annotation) instead of
// routing the pod to the trusted runtime.
// Trusted runs trusted_runtime (default_runtime when that is empty); untrusted
// runs untrusted_runtime, or is refused (FailedPrecondition) unless
// untrusted_fallback_to_trusted. A runtime of type "vm" is refused until
// shim-based runtimes are supported. A pod that shares one of the host's
// network, PID or IPC namespaces is refused (FailedPrecondition) on a gVisor
// runtime, whose kernel gives a pod its own of each and cannot share the
// host's; the error says how to run it elsewhere.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "pkg/base/status.h"
#include "pkg/oci/runtime_kind.h"

namespace berth::oci {

inline constexpr char kCrioTrustedAnnotation[] = "io.kubernetes.cri-o.TrustedSandbox";
inline constexpr char kBerthTrustedAnnotation[] = "io.berth.trusted-sandbox";
inline constexpr char kContainerdUntrustedAnnotation[] = "io.kubernetes.cri.untrusted-workload";

// Mirrors config's `runtimes:` entries (kept free of pkg/config on purpose).
struct RuntimeEntry {
  std::string path;
  std::string root;
  std::string type = "oci";  // "oci" or "vm"
  // io.berth.* annotations this runtime may receive: exact keys or "prefix.*".
  std::vector<std::string> allowed_annotations;
  // Probed at start-up (ProbeRuntimeIdentity); runc-compatible when unknown.
  RuntimeKind kind = RuntimeKind::kRuncCompatible;
};

struct RoutingConfig {
  std::map<std::string, RuntimeEntry> runtimes;
  std::string default_runtime;
  std::string trusted_runtime;
  std::string untrusted_runtime;                   // empty = none configured
  std::string default_workload_trust = "trusted";  // or "untrusted"
  bool untrusted_fallback_to_trusted = false;
  // Refuse a pod whose trust annotation asks for the trusted runtime when
  // default_workload_trust is untrusted (RuntimeClass and privileged pods,
  // which the operator and admission control, still choose).
  bool forbid_trusted_opt_out = false;
};

struct PodRoutingInput {
  std::string name;        // for messages
  std::string namespace_;  // for messages
  std::string runtime_handler;
  bool privileged = false;
  // Namespaces the pod shares with the host (namespace_options NODE).
  bool host_network = false;
  bool host_pid = false;
  bool host_ipc = false;
  std::map<std::string, std::string> annotations;
};

struct RuntimeChoice {
  std::string name;  // the runtimes: key
  std::string path;
  std::string root;
  std::string type;
  RuntimeKind kind = RuntimeKind::kRuncCompatible;
  std::vector<std::string> allowed_annotations;
  std::string trust;   // "trusted" or "untrusted"
  std::string reason;  // why, for logs and PodSandboxStatus info
};

Result<RuntimeChoice> ChooseRuntime(const RoutingConfig& config, const PodRoutingInput& pod);

struct FilteredAnnotations {
  std::map<std::string, std::string> kept;
  std::vector<std::string> dropped;  // keys the daemon should log as ignored
};

// io.berth.* annotations (other than the trust annotation) reach the runtime
// only when the chosen runtime's allowed_annotations lists them; everything
// else passes unchanged.
FilteredAnnotations FilterAnnotations(const RuntimeChoice& choice,
                                      const std::map<std::string, std::string>& annotations);
// The same for a runtime's `allowed_annotations` list (a container's
// annotations, filtered for its pod's runtime).
FilteredAnnotations FilterAnnotations(const std::vector<std::string>& allowed_annotations,
                                      const std::map<std::string, std::string>& annotations);

}  // namespace berth::oci
