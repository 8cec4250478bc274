// Windows build: the registry-backed credential spec store and CCG over vmcompute.dll.
#include <windows.h>
// bcrypt.h needs the types windows.h defines.
#include <bcrypt.h>

#include <algorithm>
#include <string>

#include "pkg/platform/platform.h"
#include "pkg/platform/random_source.h"
#include "pkg/platform/windows/hcs_client_windows.h"
#include "pkg/platform/windows/win32_registry_backend.h"

namespace berth::platform {
namespace {

class BcryptRandomSource final : public RandomSource {
 public:
  Status Fill(std::span<std::uint8_t> out) override {
    // BCryptGenRandom takes a ULONG length; our requests are tiny but stay safe.
    size_t done = 0;
    while (done < out.size()) {
      const ULONG chunk = static_cast<ULONG>(std::min<size_t>(out.size() - done, 1u << 20));
      const NTSTATUS st =
          BCryptGenRandom(nullptr, out.data() + done, chunk, BCRYPT_USE_SYSTEM_PREFERRED_RNG);
      if (st < 0) {
        return Internal("BCryptGenRandom failed with NTSTATUS " +
                        std::to_string(static_cast<unsigned long>(st)));
      }
      done += chunk;
    }
    return OkStatus();
  }
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
