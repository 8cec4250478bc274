// The "no gMSA here" implementations: creation is refused loudly, while
// cleanups succeed because nothing can have been created.
#include "pkg/platform/platform.h"

namespace berth::platform {

Result<CredentialSpecValue> UnsupportedCredentialSpecStore::Create(std::string_view container_id,
                                                                   std::string_view) {
  return FailedPrecondition("container " + std::string(container_id) + ": " +
                            std::string(kGmsaUnsupportedMessage));
}

Status UnsupportedCredentialSpecStore::Remove(std::string_view, std::string_view) {
  return OkStatus();
}

Result<std::size_t> UnsupportedCredentialSpecStore::RemoveStale(const std::set<std::string>&) {
  return std::size_t{0};
}

Result<CcgInstance> UnsupportedCcgInstances::Add(std::string_view container_id, std::string_view,
                                                 CcgTransport) {
  return FailedPrecondition("container " + std::string(container_id) + ": " +
                            std::string(kGmsaUnsupportedMessage));
}

Result<std::optional<CcgInstance>> UnsupportedCcgInstances::Find(std::string_view) {
  return std::optional<CcgInstance>();
}

Result<std::vector<CcgInstance>> UnsupportedCcgInstances::List() {
  return std::vector<CcgInstance>();
}

Status UnsupportedCcgInstances::Release(std::string_view) {
  return OkStatus();
}

}  // namespace berth::platform
