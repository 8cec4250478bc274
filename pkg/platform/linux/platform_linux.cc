// Linux build: no registry, no HCS. gMSA requests are refused; the CSPRNG is getrandom(2).
#include <sys/random.h>

#include <cerrno>

#include "pkg/platform/platform.h"
#include "pkg/platform/random_source.h"

namespace berth::platform {
namespace {

class GetrandomSource final : public RandomSource {
 public:
  Status Fill(std::span<std::uint8_t> out) override {
    std::size_t done = 0;
    while (done < out.size()) {
      const ssize_t n = getrandom(out.data() + done, out.size() - done, 0);
      if (n < 0) {
        if (errno == EINTR) continue;
        return ErrnoError("getrandom", errno);
      }
      done += static_cast<std::size_t>(n);
    }
    return OkStatus();
  }
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
