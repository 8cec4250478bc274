// The platform's gMSA services, chosen at build time: on Windows the registry
// store and HCS CCG instances; on Linux implementations that refuse gMSA
// requests with FailedPrecondition and treat cleanups as already done.
#pragma once

#include <memory>
#include <string_view>

#include "pkg/base/status.h"
#include "pkg/platform/audit_log.h"
#include "pkg/platform/ccg_instances.h"
#include "pkg/platform/credential_spec_store.h"

namespace berth::platform {

inline constexpr std::string_view kGmsaUnsupportedMessage =
    "gMSA credential specs are only supported on Windows nodes";

struct PlatformServices {
  std::unique_ptr<CredentialSpecStore> credential_specs;
  std::unique_ptr<CcgInstances> ccg_instances;
};

// True when this build can honour gMSA requests (Windows builds).
bool GmsaSupported();

// `audit` must outlive the returned services.
Result<PlatformServices> MakePlatformServices(AuditLogger& audit);

// The Linux-side implementations, exposed so tests (and Windows builds) can use them.
class UnsupportedCredentialSpecStore final : public CredentialSpecStore {
 public:
  Result<CredentialSpecValue> Create(std::string_view container_id, std::string_view spec) override;
  Status Remove(std::string_view container_id, std::string_view value_name) override;
  Result<std::size_t> RemoveStale(const std::set<std::string>& in_use) override;
};

class UnsupportedCcgInstances final : public CcgInstances {
 public:
  Result<CcgInstance> Add(std::string_view container_id, std::string_view spec,
                          CcgTransport transport) override;
  Result<std::optional<CcgInstance>> Find(std::string_view container_id) override;
  Result<std::vector<CcgInstance>> List() override;
  Status Release(std::string_view container_id) override;
};

}  // namespace berth::platform
