// Test environment for the image integration tests: the local registries
// (hack/test-registry.sh), the test images (hack/build-test-images.sh) and a
// counting proxy (counting_proxy.py) in front of the open registry, used as
// the mirror of "gcr.io". Everything is torn down at the end of the process.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace berth::testing {

class ImageEnv {
 public:
  // Values of registry.env and images.env, plus PROXY (host:port of the proxy)
  // and REGISTRY_STORAGE (the registries' shared filesystem storage root).
  static const std::string& Get(const std::string& key);
  // berthd config: gcr.io mirrored through the proxy; the local registries insecure.
  static std::string RegistriesYaml();
  // How many times the proxy answered GET `path` with 200.
  static int ProxyCount(const std::string& path);
  // Makes the proxy stall every blob body from now on.
  static void StallProxy();
  // Limits every blob body the proxy sends to `bytes_per_second` (0: no limit).
  static void SetProxyRate(uint64_t bytes_per_second);
  // SetProxyRate for a scope: the limit is lifted however the test ends.
  struct ScopedProxyRate {
    explicit ScopedProxyRate(uint64_t bytes_per_second) { SetProxyRate(bytes_per_second); }
    ~ScopedProxyRate() { SetProxyRate(0); }
  };
  // Builds and pushes the hostile images of push_hostile_images.py to the open
  // registry, with `escape_dir` as the directory their entries aim at; returns
  // the script's IMAGE_*, ESCAPE_* and TAMPERED_LAYER values.
  static std::map<std::string, std::string> PushHostileImages(const std::string& escape_dir);
  // The data file of `digest` in the registries' filesystem storage.
  static std::string StoredBlobPath(const std::string& digest);
};

}  // namespace berth::testing
