// Linux build: no registry, no HCS. gMSA requests are refused; the CSPRNG is getrandom(2).
#include "pkg/base/random_bytes.h"
#include "pkg/platform/platform.h"
#include "pkg/platform/random_source.h"

namespace berth::platform {
namespace {

class GetrandomSource final : public RandomSource {
 public:
  Status Fill(std::span<std::uint8_t> out) override { return FillRandomBytes(out); }
};

}  // namespace

std::unique_ptr<RandomSource> SystemRandomSource() {
  return std::make_unique<GetrandomSource>();
}

bool GmsaSupported() {
  return false;
}

Result<PlatformServices> MakePlatformServices(AuditLogger&) {
  PlatformServices services;
  services.credential_specs = std::make_unique<UnsupportedCredentialSpecStore>();
  services.ccg_instances = std::make_unique<UnsupportedCcgInstances>();
  return services;
}

}  // namespace berth::platform
