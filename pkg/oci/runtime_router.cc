#include "pkg/oci/runtime_router.h"

#include <optional>

#include "pkg/base/quote.h"

namespace berth::oci {
namespace {

std::string PodLabel(const PodRoutingInput& pod) {
  return "pod " + QuoteForMessage(pod.namespace_ + "/" + pod.name);
}

std::string HandlerList(const RoutingConfig& config) {
  std::string out;
  for (const auto& [name, entry] : config.runtimes) {  // std::map: already sorted
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out.empty() ? "none" : out;
}

// The host namespaces `pod` shares, as a phrase ("network and PID"); "" for none.
std::string HostNamespaces(const PodRoutingInput& pod) {
  std::vector<const char*> shared;
  if (pod.host_network) shared.push_back("network");
  if (pod.host_pid) shared.push_back("PID");
  if (pod.host_ipc) shared.push_back("IPC");
  std::string out;
  for (size_t i = 0; i < shared.size(); ++i) {
    if (i > 0) out += i + 1 == shared.size() ? " and " : ", ";
    out += shared[i];
  }
  return out;
}

// A runtime named by config (trusted_runtime, untrusted_runtime, a handler).
Result<RuntimeChoice> Resolve(const RoutingConfig& config, const PodRoutingInput& pod,
                              const std::string& name, std::string trust, std::string reason) {
  auto it = config.runtimes.find(name);
  if (it == config.runtimes.end()) {
    return FailedPrecondition("runtime " + QuoteForMessage(name) +
                              " is not among the configured runtimes (" + HandlerList(config) +
                              ")");
  }
  const RuntimeEntry& e = it->second;
  if (e.type == "vm") {
    return Unimplemented("runtime " + QuoteForMessage(name) +
                         ": runtime type vm is not supported yet");
  }
  if (e.type != "oci") {
    return FailedPrecondition("runtime " + QuoteForMessage(name) + " has unknown type " +
                              QuoteForMessage(e.type) + " (want oci or vm)");
  }
  if (e.kind == RuntimeKind::kGvisor) {
    // gVisor's kernel keeps its own network stack, process table and IPC
    // objects inside the sandbox: it cannot join the host's, and passing
    // host networking through would undo the isolation the pod came for.
    if (std::string shared = HostNamespaces(pod); !shared.empty()) {
      return FailedPrecondition(PodLabel(pod) + " shares the host's " + shared +
                                " namespace, which runtime " + QuoteForMessage(name) +
                                " (gVisor) cannot give it (" + reason +
                                "); such a pod needs a runc-compatible runtime");
    }
  }
  return RuntimeChoice{name,
                       e.path,
                       e.root,
                       e.type,
                       e.kind,
                       e.allowed_annotations,
                       std::move(trust),
                       std::move(reason)};
}

// The trust the pod's own annotations ask for, if any. A value other than
// "true"/"false" is an error, as is disagreement between the two spellings.
Result<std::optional<bool>> AnnotatedTrust(const PodRoutingInput& pod, std::string& source) {
  std::optional<bool> trusted;
  for (const char* key : {kCrioTrustedAnnotation, kBerthTrustedAnnotation}) {
    auto it = pod.annotations.find(key);
    if (it == pod.annotations.end()) continue;
    bool value;
    if (it->second == "true") {
      value = true;
    } else if (it->second == "false") {
      value = false;
    } else {
      return InvalidArgument("annotation " + std::string(key) + " of " + PodLabel(pod) +
                             " must be \"true\" or \"false\", not " + QuoteForMessage(it->second));
    }
    if (trusted && *trusted != value) {
      return InvalidArgument("annotations " + std::string(kCrioTrustedAnnotation) + " and " +
                             kBerthTrustedAnnotation + " of " + PodLabel(pod) + " disagree");
    }
    trusted = value;
    source = std::string(key) + "=" + it->second;
  }
  if (trusted) return trusted;
  auto it = pod.annotations.find(kContainerdUntrustedAnnotation);
  if (it != pod.annotations.end() && it->second == "true") {
    source = std::string(kContainerdUntrustedAnnotation) + "=true";
    return std::optional<bool>(false);
  }
  return std::optional<bool>();
}

}  // namespace

Result<RuntimeChoice> ChooseRuntime(const RoutingConfig& config, const PodRoutingInput& pod) {
  // 1. RuntimeClass names the runtime directly.
  if (!pod.runtime_handler.empty()) {
    if (config.runtimes.find(pod.runtime_handler) == config.runtimes.end()) {
      return InvalidArgument("runtime handler " + QuoteForMessage(pod.runtime_handler) + " of " +
                             PodLabel(pod) +
                             " is not configured (configured: " + HandlerList(config) + ")");
    }
    // The handler's trust is the trust of the slot it fills in the config.
    bool untrusted =
        !config.untrusted_runtime.empty() && pod.runtime_handler == config.untrusted_runtime;
    return Resolve(config, pod, pod.runtime_handler, untrusted ? "untrusted" : "trusted",
                   "runtime handler " + pod.runtime_handler + " requested by the pod");
  }

  // 2-5. Trust decides.
  bool trusted;
  std::string why;
  if (pod.privileged) {
    trusted = true;
    why = "privileged pod";
  } else {
    std::string source;
    BERTH_ASSIGN_OR_RETURN(std::optional<bool> annotated, AnnotatedTrust(pod, source));
    if (annotated && *annotated && config.forbid_trusted_opt_out &&
        config.default_workload_trust == "untrusted") {
      // Refused rather than quietly run untrusted: a pod that asks for the
      // trusted runtime usually needs something the sandbox lacks, and would
      // fail later in a way that no longer names the cause.
      return FailedPrecondition("annotation " + source + " of " + PodLabel(pod) +
                                " asks for the trusted runtime, which this node forbids "
                                "(forbid_trusted_opt_out with default_workload_trust=untrusted); "
                                "use a RuntimeClass instead");
    }
    if (annotated) {
      trusted = *annotated;
      why = "annotation " + source;
    } else if (config.default_workload_trust == "trusted" ||
               config.default_workload_trust.empty()) {
      trusted = true;
      why = "default_workload_trust=trusted";
    } else if (config.default_workload_trust == "untrusted") {
      trusted = false;
      why = "default_workload_trust=untrusted";
    } else {
      return FailedPrecondition("default_workload_trust must be trusted or untrusted, not " +
                                QuoteForMessage(config.default_workload_trust));
    }
  }

  const std::string& trusted_name =
      config.trusted_runtime.empty() ? config.default_runtime : config.trusted_runtime;
  if (trusted) {
    return Resolve(config, pod, trusted_name, "trusted", "trusted workload (" + why + ")");
  }
  if (!config.untrusted_runtime.empty()) {
    return Resolve(config, pod, config.untrusted_runtime, "untrusted",
                   "untrusted workload (" + why + ")");
  }
  if (!config.untrusted_fallback_to_trusted) {
    return FailedPrecondition(PodLabel(pod) + " is an untrusted workload (" + why +
                              ") but no untrusted_runtime is configured");
  }
  return Resolve(config, pod, trusted_name, "trusted",
                 "untrusted workload (" + why +
                     ") fell back to the trusted runtime: no untrusted_runtime configured");
}

FilteredAnnotations FilterAnnotations(const RuntimeChoice& choice,
                                      const std::map<std::string, std::string>& annotations) {
  return FilterAnnotations(choice.allowed_annotations, annotations);
}

FilteredAnnotations FilterAnnotations(const std::vector<std::string>& allowed_annotations,
                                      const std::map<std::string, std::string>& annotations) {
  auto allowed = [&](const std::string& key) {
    for (const auto& pattern : allowed_annotations) {
      if (pattern == key) return true;
      if (pattern.size() >= 2 && pattern.ends_with(".*")) {
        std::string_view prefix(pattern.data(), pattern.size() - 1);  // keeps the dot
        if (key.size() > prefix.size() && key.starts_with(prefix)) return true;
      }
    }
    return false;
  };
  FilteredAnnotations out;
  for (const auto& [key, value] : annotations) {
    bool ours = key.starts_with("io.berth.") && key != kBerthTrustedAnnotation;
    if (ours && !allowed(key)) {
      out.dropped.push_back(key);
      continue;
    }
    out.kept.emplace(key, value);
  }
  return out;
}

}  // namespace berth::oci
