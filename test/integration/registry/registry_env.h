// Test environment for the registry integration tests: starts the local
// registries (hack/test-registry.sh), pushes the test images
// (hack/build-test-images.sh) and a fault-injecting registry (fault_registry.py),
// and tears all of it down afterwards.
#pragma once

#include <map>
#include <string>

namespace berth::registry::testing {

class RegistryEnv {
 public:
  // Values from registry.env and images.env, plus FAULT_REGISTRY, WORKDIR.
  static const std::string& Get(const std::string& key);
  static std::map<std::string, std::string>& Values();
};

// Counts of requests per path seen by the fault registry.
int FaultCount(const std::string& path);

}  // namespace berth::registry::testing
