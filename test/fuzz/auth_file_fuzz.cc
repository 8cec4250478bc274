// Fuzz target: docker config.json / auth.json credential files
// (pkg/credentials/auth_file) and the base64 they carry.
//
// Input: one selector byte (picks the registry host looked up), then the
// file. Properties:
//  - an error never contains a secret of the file (any auth, password,
//    identitytoken or registrytoken value), and is escaped and bounded;
//  - credentials found are normalized (NormalizeAuthConfig leaves them as
//    they are) and their registry token holds no control character;
//  - ConvertToHostname of every key is a bare host (no scheme, no path);
//  - base64 of the input decodes back to it.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "pkg/credentials/auth_file.h"
#include "pkg/registry/auth_config.h"
#include "test/fuzz/fuzz_support.h"

namespace {

using berth::fuzz::Check;

// The file with its secrets masked, and the secrets.
std::vector<std::string> MaskAuthSecrets(nlohmann::json* doc) {
  return berth::fuzz::MaskSecrets(doc, {"auth", "password", "identitytoken", "registrytoken"});
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static constexpr std::string_view kHosts[] = {"docker.io", "registry.example:5000", "quay.io",
                                                "[::1]:5000"};
  const std::string_view text = berth::fuzz::AsText(data + 1, size - 1);
  const nlohmann::json doc = nlohmann::json::parse(text, nullptr, false);

  auto found = berth::credentials::LookupDockerConfig(text, kHosts[data[0] & 3], "fuzz.json");
  if (!found.ok()) {
    if (!doc.is_discarded()) {
      nlohmann::json masked = doc;
      const std::vector<std::string> secrets = MaskAuthSecrets(&masked);
      auto masked_found =
          berth::credentials::LookupDockerConfig(masked.dump(), kHosts[data[0] & 3], "fuzz.json");
      Check(berth::fuzz::LeaksNoSecret(found.status().message(), secrets,
                                       masked_found.status().message()),
            "an auth file error shows no secret", found.status().message());
    }
    Check(berth::fuzz::IsPrintableMessage(found.status().message()),
          "an auth file error is escaped and bounded", found.status().message());
  } else if (found->has_value()) {
    const berth::registry::AuthConfig& c = **found;
    auto again = berth::registry::NormalizeAuthConfig(c);
    Check(again.ok() && *again == c, "credentials found are already normalized");
    Check(berth::fuzz::IsPrintableMessage(c.registry_token, c.registry_token.size()),
          "a registry token found holds no control character (it goes into a header)");
  }
  if (doc.is_object() && doc.contains("auths") && doc["auths"].is_object()) {
    for (const auto& [key, v] : doc["auths"].items()) {
      const std::string host = berth::credentials::ConvertToHostname(key);
      Check(host.find('/') == std::string::npos, "a converted key is a bare host");
    }
  }
  const std::string encoded = berth::registry::Base64Encode(text);
  auto back = berth::registry::Base64Decode(encoded);
  Check(back.ok() && *back == text, "base64 decodes back to what it encoded");
  return 0;
}
