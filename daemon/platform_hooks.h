// ContainerPlatformHooks: the one seam between the container lifecycle
// (CreateContainer, StartContainer, StopContainer, RemoveContainer, the
// create-failure undo, restore) and the platform's container setup.
//
// On Windows a container asking for a gMSA credential spec gets one at
// creation (a registry value the runtime reads as registry://<name>, or a CCG
// instance for HCS v2), recorded in the container's config.json annotations
// before the runtime is asked for anything, and undone at the step the
// pkg/platform GmsaSetup rules name. On Linux the services refuse gMSA, so
// Validate turns such a request into InvalidArgument up front and every other
// hook finds nothing to do.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "pkg/base/status.h"
#include "pkg/platform/audit_log.h"
#include "pkg/platform/gmsa_setup.h"
#include "pkg/platform/platform.h"
#include "runtime/v1/api.pb.h"

namespace berth::daemon {

using PlatformAnnotations = std::map<std::string, std::string>;

// What CreateContainer takes from the platform.
struct PlatformCreateResult {
  PlatformAnnotations annotations;           // into config.json, before the runtime runs
  std::string credential_spec_uri;           // registry://<value>, for the runtime spec
  std::optional<platform::CcgInstance> ccg;  // for the HCS container document
};

// The platform's own keys (io.berth.gmsa.*) among a config.json's annotations.
PlatformAnnotations PlatformAnnotationsOf(const std::map<std::string, std::string>& annotations);

// Puts what OnCreate returned into an OCI runtime spec: the registry URI as
// windows.credentialSpec (what hcsshim hands HCS), a CCG instance's state as
// windows.ContainerCredentialGuard (and its HvSocket config as
// windows.HvSocketConfig), the HCS v2 container document's member names.
// Nothing is added for a container without gMSA.
void ApplyPlatformSetup(const PlatformCreateResult& setup, nlohmann::json* spec);

// RunPodSandbox's check: without gMSA (`gmsa_supported` false, a Linux node) a
// pod's windows.security_context.credential_spec is InvalidArgument naming the
// pod and the field, as a container's is.
Status ValidatePodPlatformConfig(const runtime::v1::PodSandboxConfig& config, bool gmsa_supported);

class ContainerPlatformHooks {
 public:
  // `gmsa_supported`: whether `services` can honour credential specs (Windows);
  // `use_ccg`: CCG instances (HCS v2) instead of registry values.
  ContainerPlatformHooks(std::shared_ptr<platform::AuditLogger> audit,
                         platform::PlatformServices services, bool gmsa_supported, bool use_ccg);

  // This host's platform (platform::MakePlatformServices), audit lines in the daemon's log.
  static Result<std::unique_ptr<ContainerPlatformHooks>> ForThisHost();

  // CreateContainer step 1: InvalidArgument naming the container and the field
  // when a node without gMSA is asked for a credential spec.
  Status Validate(std::string_view container_name,
                  const runtime::v1::ContainerConfig& config) const;
  // CreateContainer, before config.json is written: creates what the config asks for.
  Result<PlatformCreateResult> OnCreate(const std::string& id, std::string_view container_name,
                                        const runtime::v1::ContainerConfig& config);
  // The create-failure undo.
  Status OnCreateFailed(const std::string& id, const PlatformAnnotations& annotations);
  // StartContainer, once the runtime has started it (and so read the value).
  // A failure is logged, not returned: the container runs, and the value goes
  // at removal or at the next start-up sweep.
  void OnStarted(const std::string& id, const PlatformAnnotations& annotations);
  Status OnStopped(const std::string& id, const PlatformAnnotations& annotations);
  // RemoveContainer, once the runtime has deleted the container.
  Status OnRemoved(const std::string& id, const PlatformAnnotations& annotations);

  // Restore, once every container is loaded: removes the managed registry
  // values a crashed daemon left, keeping those of containers OnRestore saw
  // in the Created state (logged; a failure does not stop the start-up).
  void SweepStale();
  // Restore, for each loaded container, in the state restore settled on.
  Status OnRestore(const std::string& id, const PlatformAnnotations& annotations,
                   runtime::v1::ContainerState state);
  // Restore, for a container whose creation is undone, whose removal is
  // finished or whose record is unreadable (`annotations` null then).
  Status ReleaseLeftovers(const std::string& id, const std::map<std::string, std::string>* all);

 private:
  // Declared first: the services hold a reference to it.
  std::shared_ptr<platform::AuditLogger> audit_;
  platform::PlatformServices services_;
  platform::GmsaSetup gmsa_;
  const bool gmsa_supported_;
  const bool use_ccg_;
  std::mutex mu_;
  // Values of restored containers not started yet: the sweep keeps them.
  std::set<std::string> values_of_created_;  // guarded by mu_
};

}  // namespace berth::daemon
