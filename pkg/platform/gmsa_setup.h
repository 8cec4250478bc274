// GmsaSetup: the container-lifecycle rules for gMSA credential specs, in one
// place the daemon calls at each step. What was created is recorded in the
// container's annotations (persisted with its config.json), so a restarted
// daemon can undo what a crashed one left:
//
//   OnCreate       registry value (runtime reads registry://<name>) or CCG instance
//   OnStarted      registry value removed: the runtime has read it
//   OnCreateFailed value removed and CCG instance released
//   OnStopped      CCG instance released
//   OnRemoved      value removed and CCG instance released
//   OnRestore      a created container keeps both (its start needs them); a
//                  started one loses the value, and once exited its CCG instance
//
// Every step is idempotent: removing what is already gone is success.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "pkg/base/status.h"
#include "pkg/platform/ccg_instances.h"
#include "pkg/platform/credential_spec_store.h"

namespace berth::platform {

// Annotation keys (berth's own namespace) under which the created objects are recorded.
inline constexpr std::string_view kGmsaValueAnnotation = "io.berth.gmsa.credential-spec-value";
inline constexpr std::string_view kGmsaCcgAnnotation = "io.berth.gmsa.ccg-instance";

// The legacy per-container annotation carrying the spec's content (pre-securityContext).
inline constexpr std::string_view kLegacyGmsaSpecAnnotation =
    "container.alpha.windows.kubernetes.io/gmsa-credential-spec";

using Annotations = std::map<std::string, std::string>;

// A restored container's state, as far as its gMSA setup is concerned.
enum class RestoredState {
  kCreated,  // never started: its StartContainer still reads the value / uses the instance
  kRunning,  // started: the value has been read; the CCG instance stays until stop
  kExited,   // finished (or its process lost): nothing of it is needed any more
};

// The spec to use: the Windows security context's credential_spec wins; otherwise
// the legacy container annotation; otherwise none.
std::optional<std::string> SelectCredentialSpec(std::string_view security_context_spec,
                                                const Annotations& container_annotations);

struct GmsaCreateResult {
  Annotations annotations;          // merge into the container's annotations before persisting
  std::string credential_spec_uri;  // registry://<name> for the runtime; empty with CCG
  std::optional<CcgInstance> ccg;   // set with CCG: goes into the HCS container document
};

class GmsaSetup {
 public:
  GmsaSetup(CredentialSpecStore& specs, CcgInstances& ccg) : specs_(specs), ccg_(ccg) {}

  // An empty spec means "no gMSA": nothing is created and the result is empty.
  // use_ccg selects a CCG instance (HCS v2 containers) over a registry value.
  Result<GmsaCreateResult> OnCreate(std::string_view container_id, std::string_view spec,
                                    bool use_ccg, bool hypervisor_isolated = false);
  Status OnStarted(std::string_view container_id, const Annotations& annotations);
  Status OnCreateFailed(std::string_view container_id, const Annotations& annotations);
  Status OnStopped(std::string_view container_id, const Annotations& annotations);
  Status OnRemoved(std::string_view container_id, const Annotations& annotations);
  // At daemon start for each restored container: see RestoredState for what
  // each state keeps. The start-up sweep (CredentialSpecStore::RemoveStale)
  // must be told the values of kCreated containers, or it removes them.
  Status OnRestore(std::string_view container_id, const Annotations& annotations,
                   RestoredState state);

 private:
  Status RemoveValue(std::string_view container_id, const Annotations& annotations);
  Status ReleaseCcg(std::string_view container_id, const Annotations& annotations);

  CredentialSpecStore& specs_;
  CcgInstances& ccg_;
};

}  // namespace berth::platform
