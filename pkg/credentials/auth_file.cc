#include "pkg/credentials/auth_file.h"

#include <sys/stat.h>
#include <cerrno>
#include <nlohmann/json.hpp>

#include "pkg/base/quote.h"
#include "pkg/fs/atomic_file.h"

namespace berth::credentials {
namespace {

constexpr size_t kMaxAuthFileBytes = 4 << 20;

bool IsDockerHub(std::string_view host) {
  return host == "docker.io" || host == "index.docker.io" || host == "registry-1.docker.io";
}

std::string Field(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

}  // namespace

std::string ConvertToHostname(std::string_view key) {
  if (key.starts_with("http://"))
    key.remove_prefix(7);
  else if (key.starts_with("https://"))
    key.remove_prefix(8);
  return std::string(key.substr(0, key.find('/')));
}

Result<std::optional<registry::AuthConfig>> LookupDockerConfig(std::string_view json_text,
                                                               std::string_view registry_host,
                                                               std::string_view source) {
  auto j = nlohmann::json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return InvalidArgument("auth file " + std::string(source) + ": not a JSON object");
  }
  auto auths = j.find("auths");
  if (auths == j.end()) return std::optional<registry::AuthConfig>();
  if (!auths->is_object()) {
    return InvalidArgument("auth file " + std::string(source) + ": \"auths\" is not an object");
  }
  const nlohmann::json* entry = nullptr;
  std::string entry_key;
  // 1. exact key, 2. docker hub's canonical key, 3. any key with the same host.
  if (auto it = auths->find(std::string(registry_host)); it != auths->end()) {
    entry = &*it;
    entry_key = it.key();
  }
  if (entry == nullptr && IsDockerHub(registry_host)) {
    if (auto it = auths->find("https://index.docker.io/v1/"); it != auths->end()) {
      entry = &*it;
      entry_key = it.key();
    }
  }
  if (entry == nullptr) {
    for (auto it = auths->begin(); it != auths->end(); ++it) {
      std::string host = ConvertToHostname(it.key());
      if (host == registry_host || (IsDockerHub(host) && IsDockerHub(registry_host))) {
        entry = &*it;
        entry_key = it.key();
        break;
      }
    }
  }
  if (entry == nullptr) return std::optional<registry::AuthConfig>();
  const std::string where =
      "auth file " + std::string(source) + " entry " + QuoteForMessage(entry_key);
  if (!entry->is_object()) return InvalidArgument(where + ": not an object");
  registry::AuthConfig c;
  c.username = Field(*entry, "username");
  c.password = Field(*entry, "password");
  c.auth = Field(*entry, "auth");
  c.identity_token = Field(*entry, "identitytoken");
  c.registry_token = Field(*entry, "registrytoken");
  auto normalized = registry::NormalizeAuthConfig(std::move(c));
  if (!normalized.ok()) return normalized.status().WithContext(where);
  if (normalized->empty()) return std::optional<registry::AuthConfig>();
  return std::optional<registry::AuthConfig>(std::move(*normalized));
}

Result<std::optional<registry::AuthConfig>> LookupAuthFile(const std::string& path,
                                                           std::string_view registry_host) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return std::optional<registry::AuthConfig>();
    return ErrnoError("auth file " + path, errno);
  }
  BERTH_ASSIGN_OR_RETURN(std::string text, ReadFile(path, kMaxAuthFileBytes));
  return LookupDockerConfig(text, registry_host, path);
}

}  // namespace berth::credentials
