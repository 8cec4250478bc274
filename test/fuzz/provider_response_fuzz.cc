// Fuzz target: what a kubelet exec credential provider prints
// (pkg/credentials/exec_provider's ParseProviderResponse), and the match of
// its auth keys against images.
//
// Input: one selector byte (low two bits: the request's apiVersion, and the
// image matched), then the plugin's stdout. Properties:
//  - an error never contains a password or username of the response, and is
//    escaped and bounded;
//  - a parsed response's cache duration is not negative;
//  - BestMatch returns one of the response's credentials, or none when the
//    response has none.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "pkg/credentials/exec_provider.h"
#include "test/fuzz/fuzz_support.h"

namespace {

using berth::fuzz::Check;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static constexpr std::string_view kApiVersions[] = {
      "credentialprovider.kubelet.k8s.io/v1", "credentialprovider.kubelet.k8s.io/v1beta1",
      "credentialprovider.kubelet.k8s.io/v1alpha1", "credentialprovider.kubelet.k8s.io/v1"};
  static constexpr std::string_view kImages[] = {"registry.example:5000/team/app",
                                                 "123456789012.dkr.ecr.us-east-1.amazonaws.com/app",
                                                 "docker.io/library/busybox", "[::1]:5000/a/b/c"};
  const std::string_view text = berth::fuzz::AsText(data + 1, size - 1);
  auto response = berth::credentials::ParseProviderResponse(text, kApiVersions[data[0] & 3]);
  if (!response.ok()) {
    nlohmann::json masked = nlohmann::json::parse(text, nullptr, false);
    if (!masked.is_discarded()) {
      // Usernames too: the kubelet treats the whole auth entry as a secret.
      const std::vector<std::string> secrets =
          berth::fuzz::MaskSecrets(&masked, {"username", "password"});
      auto masked_response =
          berth::credentials::ParseProviderResponse(masked.dump(), kApiVersions[data[0] & 3]);
      Check(berth::fuzz::LeaksNoSecret(response.status().message(), secrets,
                                       masked_response.status().message()),
            "a provider response error shows no credential", response.status().message());
    }
    Check(berth::fuzz::IsPrintableMessage(response.status().message()),
          "a provider response error is escaped and bounded", response.status().message());
    return 0;
  }
  if (response->cache_duration) {
    Check(response->cache_duration->count() >= 0, "a cache duration is not negative");
  }
  auto match = berth::credentials::BestMatch(response->auth, kImages[(data[0] >> 2) & 3]);
  if (match) {
    bool among = false;
    for (const auto& [key, c] : response->auth) among = among || c == *match;
    Check(among, "the best match is one of the response's credentials");
  } else if (response->auth.empty()) {
    Check(!match.has_value(), "no credentials, no match");
  }
  return 0;
}
