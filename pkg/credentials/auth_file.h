// Credentials from a docker config.json ("auth_file"):
//   {"auths": {"https://index.docker.io/v1/": {"auth": "<base64 user:pass>"},
//              "registry.example:5000": {"username": "u", "password": "p"},
//              "quay.io": {"identitytoken": "..."}}}
// Keys are matched the way docker does: an exact key first, then any key whose
// host (scheme and path stripped) equals the registry host; docker.io also
// matches its legacy names (https://index.docker.io/v1/, index.docker.io,
// registry-1.docker.io).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "pkg/base/status.h"
#include "pkg/registry/auth_config.h"

namespace berth::credentials {

// Parses config.json content and returns the entry for `registry_host` (nullopt
// when there is none). A malformed file or entry is InvalidArgument naming `source`
// but never a secret.
Result<std::optional<registry::AuthConfig>> LookupDockerConfig(std::string_view json_text,
                                                               std::string_view registry_host,
                                                               std::string_view source);

// Reads `path` (bounded) and looks up `registry_host`. A missing file is nullopt.
Result<std::optional<registry::AuthConfig>> LookupAuthFile(const std::string& path,
                                                           std::string_view registry_host);

// "https://host:port/v1/" -> "host:port"
std::string ConvertToHostname(std::string_view key);

}  // namespace berth::credentials
