// WWW-Authenticate challenges (RFC 7235) as registries send them:
//   Bearer
//   realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull" Basic
//   realm="Registry Realm"
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace berth::registry {

struct Challenge {
  std::string scheme;                         // lowercased: "bearer", "basic", ...
  std::map<std::string, std::string> params;  // keys lowercased, values unquoted

  std::string Param(const std::string& key) const {
    auto it = params.find(key);
    return it == params.end() ? "" : it->second;
  }
};

// Parses one header value, which may hold several challenges. Malformed parts
// are skipped; never throws. The input is untrusted and bounded by the caller.
std::vector<Challenge> ParseWwwAuthenticate(std::string_view header);

}  // namespace berth::registry
