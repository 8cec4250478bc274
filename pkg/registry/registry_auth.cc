#include "pkg/registry/registry_auth.h"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "pkg/base/quote.h"

namespace berth::registry {
namespace {

constexpr size_t kMaxPingBody = 64 * 1024;
constexpr size_t kMaxTokenBody = 1 << 20;
constexpr size_t kMaxCachedTokens = 1024;

const Challenge* Pick(const std::vector<Challenge>& challenges, const char* scheme) {
  for (const Challenge& c : challenges) {
    if (c.scheme == scheme) return &c;
  }
  return nullptr;
}

std::vector<Challenge> ParseAll(const std::vector<std::string>& headers) {
  std::vector<Challenge> out;
  for (const std::string& h : headers) {
    for (Challenge& c : ParseWwwAuthenticate(h)) out.push_back(std::move(c));
  }
  return out;
}

std::string TokenKey(const Challenge& ch, const std::string& scope, const AuthConfig& creds) {
  return ch.Param("realm") + "|" + ch.Param("service") + "|" + scope + "|" + AuthFingerprint(creds);
}

std::string Scope(const std::string& repo) {
  return "repository:" + repo + ":pull";
}

}  // namespace

Status PingFailure(const Endpoint& ep, const HttpResult& r) {
  std::string msg = "registry " + ep.host + " unreachable: " + r.status.message();
  // A TLS failure on a host that is only tried over verified HTTPS is most
  // often a plain-HTTP or self-signed registry: say how to allow it.
  if (r.failure == HttpFailure::kTls && !ep.insecure && !ep.explicit_scheme) {
    msg += "; " + InsecureRegistryHint(ep.host);
  }
  return Unavailable(msg);
}

std::string RegistryAuth::PingKey(const Endpoint& ep) {
  return ep.host + (ep.explicit_scheme ? "|" + ep.scheme : "|") + (ep.insecure ? "|insecure" : "");
}

Result<Endpoint> RegistryAuth::Ping(const Endpoint& ep, const CancelToken& cancel) {
  const std::string key = PingKey(ep);
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = pings_.find(key);
    if (it != pings_.end()) {
      Endpoint resolved = ep;
      resolved.scheme = it->second.scheme;
      return resolved;
    }
  }
  std::vector<std::string> schemes = {ep.scheme};
  if (ep.insecure && !ep.explicit_scheme && ep.scheme == "https") schemes.push_back("http");

  Status last;
  for (const std::string& scheme : schemes) {
    HttpRequest req;
    req.url = scheme + "://" + ep.host + "/v2/";
    req.verify_tls = !ep.insecure;
    req.connect_timeout = settings_.connect_timeout;
    req.user_agent = settings_.user_agent;
    req.cancel = cancel;
    HttpResult r =
        PerformWithRetry([&] { return PerformHttp(req, kMaxPingBody); }, settings_.retry, cancel);
    if (r.failure == HttpFailure::kCancelled) return r.status;
    if (r.failure != HttpFailure::kNone) {
      last = PingFailure(ep, r);
      continue;  // an insecure host may answer plain HTTP
    }
    long code = r.response.status;
    if (code != 200 && code != 401) {
      last = Unavailable("registry " + ep.host + " does not serve the v2 API (GET " + req.url +
                         " returned HTTP " + std::to_string(code) + ")");
      continue;
    }
    PingInfo info{scheme, code == 401 ? ParseAll(r.response.Headers("www-authenticate"))
                                      : std::vector<Challenge>{}};
    spdlog::debug("registry: {} speaks v2 over {} ({} challenge(s))", ep.host, scheme,
                  info.challenges.size());
    std::lock_guard<std::mutex> lock(mu_);
    pings_[key] = std::move(info);
    Endpoint resolved = ep;
    resolved.scheme = scheme;
    return resolved;
  }
  return last;
}

Result<std::string> RegistryAuth::AuthorizationHeader(const Endpoint& ep, const std::string& repo,
                                                      const AuthConfig& creds,
                                                      const CancelToken& cancel) {
  std::vector<Challenge> challenges;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = pings_.find(PingKey(ep));
    if (it != pings_.end()) challenges = it->second.challenges;
  }
  if (const Challenge* bearer = Pick(challenges, "bearer")) {
    if (!creds.registry_token.empty()) return "Authorization: Bearer " + creds.registry_token;
    const std::string scope = Scope(repo);
    const std::string key = TokenKey(*bearer, scope, creds);
    auto now = std::chrono::steady_clock::now();
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = tokens_.find(key);
      if (it != tokens_.end() && it->second.expires > now) {
        return "Authorization: Bearer " + it->second.token;
      }
    }
    std::chrono::seconds lifetime{60};
    BERTH_ASSIGN_OR_RETURN(std::string token,
                           FetchToken(ep, *bearer, scope, creds, cancel, &lifetime));
    // Renew a little early so a token does not expire between check and use.
    auto margin = std::min<std::chrono::seconds>(std::chrono::seconds(10), lifetime / 10);
    std::lock_guard<std::mutex> lock(mu_);
    if (tokens_.size() >= kMaxCachedTokens) {
      std::erase_if(tokens_, [&](const auto& kv) { return kv.second.expires <= now; });
      if (tokens_.size() >= kMaxCachedTokens) tokens_.clear();
    }
    tokens_[key] = CachedToken{token, now + lifetime - margin};
    return "Authorization: Bearer " + token;
  }
  if (Pick(challenges, "basic") != nullptr && !creds.username.empty()) {
    return "Authorization: Basic " + Base64Encode(creds.username + ":" + creds.password);
  }
  return std::string();
}

Status CheckTokenRealm(const Endpoint& ep, std::string_view realm, const AuthConfig& creds) {
  if (creds.empty() || !realm.starts_with("http://") || ep.insecure) return OkStatus();
  return FailedPrecondition("token server " + EscapeForMessage(realm) + " for registry " + ep.host +
                            " is plain HTTP: credentials are not sent in clear (mark the "
                            "registry insecure in berth's config to allow it)");
}

Result<std::string> RegistryAuth::FetchToken(const Endpoint& ep, const Challenge& ch,
                                             const std::string& scope, const AuthConfig& creds,
                                             const CancelToken& cancel,
                                             std::chrono::seconds* lifetime) {
  const std::string realm = ch.Param("realm");
  if (!realm.starts_with("https://") && !realm.starts_with("http://")) {
    return Unavailable("registry " + ep.host + " sent a Bearer challenge with an invalid realm " +
                       QuoteForMessage(realm));
  }
  BERTH_RETURN_IF_ERROR(CheckTokenRealm(ep, realm, creds));
  const std::string service = ch.Param("service");
  HttpRequest req;
  req.verify_tls = !ep.insecure;
  req.connect_timeout = settings_.connect_timeout;
  req.user_agent = settings_.user_agent;
  req.cancel = cancel;
  if (!creds.identity_token.empty()) {
    // OAuth2 refresh-token grant, as docker does with an identity token.
    req.method = "POST";
    req.url = realm;
    req.headers.push_back("Content-Type: application/x-www-form-urlencoded");
    req.body = "grant_type=refresh_token&client_id=berth&service=" + UrlEscape(service) +
               "&scope=" + UrlEscape(scope) + "&refresh_token=" + UrlEscape(creds.identity_token);
  } else {
    req.url = realm + (realm.find('?') == std::string::npos ? "?" : "&") +
              "service=" + UrlEscape(service) + "&scope=" + UrlEscape(scope);
    if (!creds.username.empty()) {
      req.url += "&account=" + UrlEscape(creds.username);
      req.headers.push_back("Authorization: Basic " +
                            Base64Encode(creds.username + ":" + creds.password));
    }
  }
  HttpResult r =
      PerformWithRetry([&] { return PerformHttp(req, kMaxTokenBody); }, settings_.retry, cancel);
  if (r.failure == HttpFailure::kCancelled) return r.status;
  const std::string where = "token server " + EscapeForMessage(realm) + " for registry " + ep.host;
  if (r.failure != HttpFailure::kNone) return Unavailable(where + ": " + r.status.message());
  long code = r.response.status;
  if (code == 401 || code == 403) {
    return FailedPrecondition(where + ": " +
                              (creds.empty() ? "anonymous access denied (credentials required)"
                                             : "credentials rejected") +
                              " (HTTP " + std::to_string(code) + ")");
  }
  if (code != 200) return Unavailable(where + ": HTTP " + std::to_string(code));
  auto j = nlohmann::json::parse(r.response.body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return Unavailable(where + ": response is not JSON");
  std::string token;
  for (const char* field : {"token", "access_token"}) {
    auto it = j.find(field);
    if (it != j.end() && it->is_string() && !it->get<std::string>().empty()) {
      token = it->get<std::string>();
      break;
    }
  }
  if (token.empty()) return Unavailable(where + ": response carries no token");
  for (char c : token) {
    // The token goes into a header line: refuse anything that could split it.
    if (c == '\r' || c == '\n' || c == '\0') return Unavailable(where + ": malformed token");
  }
  *lifetime = std::chrono::seconds(60);  // the spec's default and minimum
  if (auto it = j.find("expires_in"); it != j.end() && it->is_number_integer()) {
    int64_t s = it->get<int64_t>();
    if (s > 60) *lifetime = std::chrono::seconds(std::min<int64_t>(s, 24 * 3600));
  }
  spdlog::debug("registry: got a token for {} from {} (valid {}s)", ep.host,
                EscapeForMessage(realm), lifetime->count());
  return token;
}

void RegistryAuth::OnUnauthorized(const Endpoint& ep, const std::string& repo,
                                  const AuthConfig& creds,
                                  const std::vector<std::string>& www_authenticate) {
  std::vector<Challenge> fresh = ParseAll(www_authenticate);
  std::lock_guard<std::mutex> lock(mu_);
  auto it = pings_.find(PingKey(ep));
  if (it == pings_.end()) return;
  if (const Challenge* bearer = Pick(it->second.challenges, "bearer")) {
    tokens_.erase(TokenKey(*bearer, Scope(repo), creds));
  }
  if (!fresh.empty()) it->second.challenges = std::move(fresh);
}

}  // namespace berth::registry
