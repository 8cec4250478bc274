#include "daemon/platform_hooks.h"

#include <spdlog/spdlog.h>

#include "pkg/base/quote.h"

namespace berth::daemon {

namespace rt = runtime::v1;

namespace {

// The key prefix GmsaSetup records under (kGmsaValueAnnotation, kGmsaCcgAnnotation).
constexpr std::string_view kPlatformAnnotationPrefix = "io.berth.gmsa.";

// Audit lines go to the daemon's log; FormatAuditLine never carries the spec.
class SpdlogAuditLogger final : public platform::AuditLogger {
 public:
  void Record(const platform::AuditEntry& entry) override {
    spdlog::info("{}", platform::FormatAuditLine(entry));
  }
};

std::string Who(std::string_view container_name) {
  return "container " + QuoteForMessage(container_name);
}

}  // namespace

PlatformAnnotations PlatformAnnotationsOf(const std::map<std::string, std::string>& annotations) {
  PlatformAnnotations out;
  for (auto it = annotations.lower_bound(std::string(kPlatformAnnotationPrefix));
       it != annotations.end() && it->first.starts_with(kPlatformAnnotationPrefix); ++it) {
    out.insert(*it);
  }
  return out;
}

void ApplyPlatformSetup(const PlatformCreateResult& setup, nlohmann::json* spec) {
  if (!setup.credential_spec_uri.empty()) {
    (*spec)["windows"]["credentialSpec"] = setup.credential_spec_uri;
  }
  if (!setup.ccg) return;
  // HCS reports both as JSON objects; one that does not parse stays out rather than go in damaged.
  auto object = [](const std::string& text) { return nlohmann::json::parse(text, nullptr, false); };
  if (nlohmann::json state = object(setup.ccg->state_json); state.is_object()) {
    (*spec)["windows"]["ContainerCredentialGuard"] = std::move(state);
  }
  if (nlohmann::json hv = object(setup.ccg->hv_socket_json); hv.is_object()) {
    (*spec)["windows"]["HvSocketConfig"] = std::move(hv);
  }
}

ContainerPlatformHooks::ContainerPlatformHooks(std::shared_ptr<platform::AuditLogger> audit,
                                               platform::PlatformServices services,
                                               bool gmsa_supported, bool use_ccg)
    : audit_(std::move(audit)),
      services_(std::move(services)),
      gmsa_(*services_.credential_specs, *services_.ccg_instances),
      gmsa_supported_(gmsa_supported),
      use_ccg_(use_ccg) {}

Result<std::unique_ptr<ContainerPlatformHooks>> ContainerPlatformHooks::ForThisHost() {
  auto audit = std::make_shared<SpdlogAuditLogger>();
  BERTH_ASSIGN_OR_RETURN(platform::PlatformServices services,
                         platform::MakePlatformServices(*audit));
  // Registry values: what every Windows runtime reads; CCG needs HCS v2 documents berth
  // does not build yet.
  return std::make_unique<ContainerPlatformHooks>(std::move(audit), std::move(services),
                                                  platform::GmsaSupported(), false);
}

Status ValidatePodPlatformConfig(const rt::PodSandboxConfig& config, bool gmsa_supported) {
  if (gmsa_supported || config.windows().security_context().credential_spec().empty()) {
    return OkStatus();
  }
  return InvalidArgument("pod sandbox " + QuoteForMessage(config.metadata().name()) +
                         ": windows.security_context.credential_spec: " +
                         std::string(platform::kGmsaUnsupportedMessage));
}

Status ContainerPlatformHooks::Validate(std::string_view container_name,
                                        const rt::ContainerConfig& config) const {
  // What the platform records is read back at removal and restore: a client may not preset it.
  for (const auto& [key, value] : config.annotations()) {
    if (key.starts_with(kPlatformAnnotationPrefix)) {
      return InvalidArgument(Who(container_name) + ": annotation " + QuoteForMessage(key) +
                             " is reserved for berth");
    }
  }
  if (gmsa_supported_) return OkStatus();
  // A Linux kubelet never fills the Windows config, but a client can; the
  // legacy annotation is a plain annotation any config can carry.
  if (!config.windows().security_context().credential_spec().empty()) {
    return InvalidArgument(Who(container_name) + ": windows.security_context.credential_spec: " +
                           std::string(platform::kGmsaUnsupportedMessage));
  }
  const auto& annotations = config.annotations();
  auto legacy = annotations.find(std::string(platform::kLegacyGmsaSpecAnnotation));
  if (legacy != annotations.end() && !legacy->second.empty()) {
    return InvalidArgument(Who(container_name) + ": annotation " +
                           std::string(platform::kLegacyGmsaSpecAnnotation) + ": " +
                           std::string(platform::kGmsaUnsupportedMessage));
  }
  return OkStatus();
}

Result<PlatformCreateResult> ContainerPlatformHooks::OnCreate(const std::string& id,
                                                              std::string_view container_name,
                                                              const rt::ContainerConfig& config) {
  BERTH_RETURN_IF_ERROR(Validate(container_name, config));
  const platform::Annotations annotations(config.annotations().begin(), config.annotations().end());
  std::optional<std::string> spec = platform::SelectCredentialSpec(
      config.windows().security_context().credential_spec(), annotations);
  PlatformCreateResult result;
  if (!spec) return result;
  Result<platform::GmsaCreateResult> created = gmsa_.OnCreate(id, *spec, use_ccg_);
  if (!created.ok()) return created.status().WithContext(Who(container_name) + " (" + id + ")");
  result.annotations = std::move(created->annotations);
  result.credential_spec_uri = std::move(created->credential_spec_uri);
  result.ccg = std::move(created->ccg);
  return result;
}

Status ContainerPlatformHooks::OnCreateFailed(const std::string& id,
                                              const PlatformAnnotations& annotations) {
  return gmsa_.OnCreateFailed(id, annotations);
}

void ContainerPlatformHooks::OnStarted(const std::string& id,
                                       const PlatformAnnotations& annotations) {
  if (Status s = gmsa_.OnStarted(id, annotations); !s.ok()) {
    spdlog::warn("container {}: credential spec not removed after start: {}", id, s.message());
  }
}

Status ContainerPlatformHooks::OnStopped(const std::string& id,
                                         const PlatformAnnotations& annotations) {
  return gmsa_.OnStopped(id, annotations);
}

Status ContainerPlatformHooks::OnRemoved(const std::string& id,
                                         const PlatformAnnotations& annotations) {
  return gmsa_.OnRemoved(id, annotations);
}

void ContainerPlatformHooks::SweepStale() {
  std::set<std::string> in_use;
  {
    std::lock_guard lock(mu_);
    in_use.swap(values_of_created_);  // only the start-up sweep needs them
  }
  Result<std::size_t> removed = services_.credential_specs->RemoveStale(in_use);
  if (!removed.ok()) {
    spdlog::warn("restore: {}", removed.status().message());
  } else if (*removed > 0) {
    spdlog::info("restore: removed {} credential spec value(s) a crash left", *removed);
  }
}

Status ContainerPlatformHooks::OnRestore(const std::string& id,
                                         const PlatformAnnotations& annotations,
                                         rt::ContainerState state) {
  platform::RestoredState restored = platform::RestoredState::kExited;
  if (state == rt::CONTAINER_CREATED) {
    restored = platform::RestoredState::kCreated;
    auto value = annotations.find(std::string(platform::kGmsaValueAnnotation));
    if (value != annotations.end()) {
      std::lock_guard lock(mu_);
      values_of_created_.insert(value->second);
    }
  } else if (state == rt::CONTAINER_RUNNING) {
    restored = platform::RestoredState::kRunning;
  }
  return gmsa_.OnRestore(id, annotations, restored);
}

Status ContainerPlatformHooks::ReleaseLeftovers(const std::string& id,
                                                const std::map<std::string, std::string>* all) {
  PlatformAnnotations recorded =
      all != nullptr ? PlatformAnnotationsOf(*all) : PlatformAnnotations();
  // A CCG instance is named by its container's ID, so it is released even
  // when the record is unreadable or a crash came before it was written.
  if (gmsa_supported_) recorded.try_emplace(std::string(platform::kGmsaCcgAnnotation), id);
  return gmsa_.OnRemoved(id, recorded);
}

}  // namespace berth::daemon
