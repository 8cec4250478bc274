// The kubelet's CredentialProviderConfig (kubelet.config.k8s.io/v1, v1beta1,
// v1alpha1), read from YAML:
//
//   apiVersion: kubelet.config.k8s.io/v1
//   kind: CredentialProviderConfig
//   providers:
//   - name: ecr-credential-provider        # an executable in bin_dir
//     matchImages: ["*.dkr.ecr.*.amazonaws.com", "registry.io:5000/team"]
//     defaultCacheDuration: "12h"          # 0 = do not cache
//     apiVersion: credentialprovider.kubelet.k8s.io/v1
//     args: ["get-credentials"]
//     env: [{name: AWS_PROFILE, value: example}]
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pkg/base/status.h"

namespace berth::credentials {

struct CredentialProviderSpec {
  std::string name;
  std::string path;  // bin_dir/name
  std::vector<std::string> match_images;
  std::chrono::milliseconds default_cache_duration{0};
  std::string api_version;  // credentialprovider.kubelet.k8s.io/{v1,v1beta1,v1alpha1}
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;
};

// Parses and validates `yaml_text` (errors name `source` and the offending key).
// Checks that each provider's binary exists in `bin_dir` and is executable.
Result<std::vector<CredentialProviderSpec>> ParseCredentialProviderConfig(
    std::string_view yaml_text, const std::string& bin_dir, std::string_view source);

// Reads `path` and parses it.
Result<std::vector<CredentialProviderSpec>> LoadCredentialProviderConfig(
    const std::string& path, const std::string& bin_dir);

bool IsSupportedProviderApiVersion(std::string_view v);

}  // namespace berth::credentials
