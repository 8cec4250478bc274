#include "pkg/platform/gmsa_setup.h"

namespace berth::platform {
namespace {

const std::string* Find(const Annotations& annotations, std::string_view key) {
  auto it = annotations.find(std::string(key));
  return it == annotations.end() ? nullptr : &it->second;
}

// Both cleanups run; the first failure is reported.
Status Both(Status a, Status b) {
  return a.ok() ? b : a;
}

}  // namespace

std::optional<std::string> SelectCredentialSpec(std::string_view security_context_spec,
                                                const Annotations& container_annotations) {
  if (!security_context_spec.empty()) return std::string(security_context_spec);
  const std::string* legacy = Find(container_annotations, kLegacyGmsaSpecAnnotation);
  if (legacy != nullptr && !legacy->empty()) return *legacy;
  return std::nullopt;
}

Result<GmsaCreateResult> GmsaSetup::OnCreate(std::string_view container_id, std::string_view spec,
                                             bool use_ccg, bool hypervisor_isolated) {
  GmsaCreateResult result;
  if (spec.empty()) return result;
  if (use_ccg) {
    const auto transport = hypervisor_isolated ? CcgTransport::kHvSocket : CcgTransport::kLrpc;
    BERTH_ASSIGN_OR_RETURN(CcgInstance inst, ccg_.Add(container_id, spec, transport));
    result.annotations[std::string(kGmsaCcgAnnotation)] = inst.id;
    result.ccg = std::move(inst);
    return result;
  }
  BERTH_ASSIGN_OR_RETURN(CredentialSpecValue value, specs_.Create(container_id, spec));
  result.annotations[std::string(kGmsaValueAnnotation)] = value.value_name;
  result.credential_spec_uri = value.uri;
  return result;
}

Status GmsaSetup::RemoveValue(std::string_view container_id, const Annotations& annotations) {
  const std::string* name = Find(annotations, kGmsaValueAnnotation);
  if (name == nullptr) return OkStatus();
  return specs_.Remove(container_id, *name);
}

Status GmsaSetup::ReleaseCcg(std::string_view container_id, const Annotations& annotations) {
  const std::string* id = Find(annotations, kGmsaCcgAnnotation);
  if (id == nullptr) return OkStatus();
  // The instance ID is the container ID; anything else on disk is not ours to release.
  if (*id != container_id) {
    return InvalidArgument("container " + std::string(container_id) +
                           ": recorded CCG instance does not belong to this container");
  }
  return ccg_.Release(container_id);
}

Status GmsaSetup::OnStarted(std::string_view container_id, const Annotations& annotations) {
  return RemoveValue(container_id, annotations);
}

Status GmsaSetup::OnCreateFailed(std::string_view container_id, const Annotations& annotations) {
  return Both(RemoveValue(container_id, annotations), ReleaseCcg(container_id, annotations));
}

Status GmsaSetup::OnStopped(std::string_view container_id, const Annotations& annotations) {
  return Both(RemoveValue(container_id, annotations), ReleaseCcg(container_id, annotations));
}

Status GmsaSetup::OnRemoved(std::string_view container_id, const Annotations& annotations) {
  return Both(RemoveValue(container_id, annotations), ReleaseCcg(container_id, annotations));
}

Status GmsaSetup::OnRestore(std::string_view container_id, const Annotations& annotations,
                            RestoredState state) {
  switch (state) {
    case RestoredState::kCreated:
      return OkStatus();  // StartContainer or RemoveContainer releases them later
    case RestoredState::kRunning:
      return RemoveValue(container_id, annotations);  // read at start, no longer needed
    case RestoredState::kExited:
      return Both(RemoveValue(container_id, annotations), ReleaseCcg(container_id, annotations));
  }
  return OkStatus();
}

}  // namespace berth::platform
