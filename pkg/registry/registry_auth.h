// Authentication against one registry endpoint: the /v2/ ping (which also
// settles HTTP vs HTTPS for insecure hosts), Basic credentials, and Bearer
// tokens from the realm's token endpoint, cached until they expire.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "pkg/base/status.h"
#include "pkg/registry/auth_config.h"
#include "pkg/registry/challenge.h"
#include "pkg/registry/registry_endpoints.h"
#include "pkg/registry/registry_retry.h"

namespace berth::registry {

struct AuthSettings {
  RetryPolicy retry;
  std::chrono::seconds connect_timeout{30};
  std::string user_agent = "berth";
};

// The error of a /v2/ ping that got no HTTP response (`r.failure` is not
// kNone), naming the host and the cause; a TLS failure on a secure endpoint
// also says how to mark the registry insecure.
Status PingFailure(const Endpoint& ep, const HttpResult& r);

// Whether `creds` may be sent to the token server at `realm` for `ep`:
// FailedPrecondition when they would travel over plain HTTP to a registry the
// operator has not marked insecure (a loopback one counts as marked).
// Anonymous token requests may go anywhere.
Status CheckTokenRealm(const Endpoint& ep, std::string_view realm, const AuthConfig& creds);

class RegistryAuth {
 public:
  explicit RegistryAuth(AuthSettings settings) : settings_(std::move(settings)) {}

  // Pings `ep` once per process (cached): returns the endpoint with its scheme
  // settled. Unavailable when the endpoint cannot be reached or is not a v2 registry.
  Result<Endpoint> Ping(const Endpoint& ep, const CancelToken& cancel);

  // The Authorization header line ("Authorization: ...") for pulling `repo` from
  // `ep`, or "" when the registry asked for none or no usable credentials exist.
  Result<std::string> AuthorizationHeader(const Endpoint& ep, const std::string& repo,
                                          const AuthConfig& creds, const CancelToken& cancel);

  // After a 401: takes the response's challenges and forgets the cached token so
  // that the next AuthorizationHeader fetches a fresh one.
  void OnUnauthorized(const Endpoint& ep, const std::string& repo, const AuthConfig& creds,
                      const std::vector<std::string>& www_authenticate);

 private:
  struct PingInfo {
    std::string scheme;
    std::vector<Challenge> challenges;
  };
  struct CachedToken {
    std::string token;
    std::chrono::steady_clock::time_point expires;
  };

  static std::string PingKey(const Endpoint& ep);
  Result<std::string> FetchToken(const Endpoint& ep, const Challenge& ch, const std::string& scope,
                                 const AuthConfig& creds, const CancelToken& cancel,
                                 std::chrono::seconds* lifetime);

  const AuthSettings settings_;
  std::mutex mu_;
  std::map<std::string, PingInfo> pings_;      // guarded by mu_; key PingKey(ep)
  std::map<std::string, CachedToken> tokens_;  // guarded by mu_; key realm|service|scope|identity
};

}  // namespace berth::registry
