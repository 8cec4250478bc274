// AuthConfig: the credentials one pull may present to one registry, in the
// shapes the CRI AuthConfig and docker's config.json carry them.
#pragma once

#include <string>
#include <string_view>

#include "pkg/base/status.h"

namespace berth::registry {

struct AuthConfig {
  std::string username;
  std::string password;
  std::string auth;            // base64("username:password"), as docker config.json stores it
  std::string identity_token;  // OAuth2 refresh token, exchanged at the token endpoint
  std::string registry_token;  // a bearer token sent as is

  bool empty() const {
    return username.empty() && password.empty() && auth.empty() && identity_token.empty() &&
           registry_token.empty();
  }
  bool operator==(const AuthConfig&) const = default;
};

// Fills username/password from `auth` when `auth` is set and they are empty.
// A malformed `auth` is InvalidArgument (the message never contains the secret).
Result<AuthConfig> NormalizeAuthConfig(AuthConfig config);

// Standard base64 (RFC 4648, with padding).
std::string Base64Encode(std::string_view data);
// Accepts padded or unpadded standard base64; nullopt-like error on bad input.
Result<std::string> Base64Decode(std::string_view data);

// An opaque, non-reversible fingerprint of the secret parts (to key caches by
// identity without keeping or logging the secret itself).
std::string AuthFingerprint(const AuthConfig& config);

}  // namespace berth::registry
