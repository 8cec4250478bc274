// Test environment for the image integration tests: the local registries
// (hack/test-registry.sh), the test images (hack/build-test-images.sh) and a
// counting proxy (counting_proxy.py) in front of the open registry, used as
// the mirror of "gcr.io". Everything is torn down at the end of the process.
#pragma once

#include <map>
#include <string>

namespace berth::testing {

class ImageEnv {
 public:
  // Values of registry.env and images.env, plus PROXY (host:port of the proxy).
  static const std::string& Get(const std::string& key);
  // berthd config: gcr.io mirrored through the proxy; the local registries insecure.
  static std::string RegistriesYaml();
  // How many times the proxy answered GET `path` with 200.
  static int ProxyCount(const std::string& path);
  // Makes the proxy stall every blob body from now on.
  static void StallProxy();
};

}  // namespace berth::testing
