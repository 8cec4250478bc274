// Windows build: the registry-backed credential spec store and CCG over vmcompute.dll;
// the CSPRNG is BCryptGenRandom (pkg/base/random_bytes_windows.cc).
#include <windows.h>

#include <string>

#include "pkg/base/random_bytes.h"
#include "pkg/platform/platform.h"
#include "pkg/platform/random_source.h"
#include "pkg/platform/windows/hcs_client_windows.h"
#include "pkg/platform/windows/win32_registry_backend.h"

namespace berth::platform {
namespace {

class BcryptRandomSource final : public RandomSource {
 public:
  Status Fill(std::span<std::uint8_t> out) override { return FillRandomBytes(out); }
};

}  // namespace

std::unique_ptr<RandomSource> SystemRandomSource() {
  return std::make_unique<BcryptRandomSource>();
}

bool GmsaSupported() {
  return true;
}

Result<PlatformServices> MakePlatformServices(AuditLogger& audit) {
  BERTH_ASSIGN_OR_RETURN(std::unique_ptr<win::Win32RegistryBackend> registry,
                         win::Win32RegistryBackend::Open());
  Result<std::unique_ptr<HcsClient>> hcs = win::LoadVmcomputeHcsClient();
  std::unique_ptr<HcsClient> client =
      hcs.ok() ? std::move(*hcs) : win::UnavailableHcsClient(hcs.status());
  PlatformServices services;
  services.credential_specs = std::make_unique<RegistryCredentialSpecStore>(
      std::move(registry), SystemRandomSource(), audit);
  services.ccg_instances = std::make_unique<HcsCcgInstances>(std::move(client), audit);
  return services;
}

}  // namespace berth::platform
