// One configured exec credential provider: runs the plugin for matching images,
// caches its answers per cacheKeyType (Image, Registry, Global) for cacheDuration
// (else defaultCacheDuration; 0 = no caching), purges expired entries, and runs
// the plugin once for concurrent requests of the same image (single flight).
// A failing, slow or garbled plugin is logged (never with credentials) and
// yields no credentials.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "pkg/base/status.h"
#include "pkg/credentials/provider_config.h"
#include "pkg/registry/auth_config.h"

namespace berth::credentials {

using Clock = std::function<std::chrono::steady_clock::time_point()>;

enum class CacheKeyType { kImage, kRegistry, kGlobal };

struct ProviderResponse {
  CacheKeyType cache_key_type = CacheKeyType::kImage;
  std::optional<std::chrono::milliseconds> cache_duration;
  std::map<std::string, registry::AuthConfig> auth;  // match pattern -> credentials
};

// Parses and validates a plugin's stdout for a request of `api_version`.
Result<ProviderResponse> ParseProviderResponse(std::string_view json_text,
                                               std::string_view api_version);

// The request the plugin reads on stdin.
std::string BuildProviderRequest(std::string_view api_version, std::string_view image);

// The credentials of the most specific auth key matching `image` (keys are tried
// in reverse lexicographic order, as the kubelet does), or nullopt.
std::optional<registry::AuthConfig> BestMatch(
    const std::map<std::string, registry::AuthConfig>& auth, std::string_view image);

class ExecCredentialProvider {
 public:
  ExecCredentialProvider(CredentialProviderSpec spec, std::chrono::milliseconds timeout,
                         Clock clock = nullptr);

  const std::string& name() const { return spec_.name; }
  // True when one of matchImages matches `image`.
  bool Matches(std::string_view image) const;
  // Credentials for `image` (a repository name such as "registry.io/team/app"),
  // from the cache or a plugin run. nullopt when none.
  std::optional<registry::AuthConfig> Provide(const std::string& image);
  // Live cache entries (expired ones are purged first).
  size_t CacheSize();
  // Callers waiting for another caller's plugin run for `image` (for tests).
  size_t WaitersFor(const std::string& image);

 private:
  struct CacheEntry {
    std::map<std::string, registry::AuthConfig> auth;
    std::chrono::steady_clock::time_point expires;
  };
  struct Flight {
    bool done = false;
    size_t waiters = 0;
    std::optional<std::map<std::string, registry::AuthConfig>> auth;
  };

  std::chrono::steady_clock::time_point Now() const;
  void PurgeExpiredLocked(std::chrono::steady_clock::time_point now);
  const CacheEntry* CachedLocked(const std::string& image);
  std::optional<ProviderResponse> RunPlugin(const std::string& image);

  const CredentialProviderSpec spec_;
  const std::chrono::milliseconds timeout_;
  const Clock clock_;
  std::mutex mu_;
  std::condition_variable flight_done_;                     // signalled with mu_ held
  std::map<std::string, CacheEntry> cache_;                 // guarded by mu_
  std::map<std::string, std::shared_ptr<Flight>> flights_;  // guarded by mu_; key image
};

}  // namespace berth::credentials
