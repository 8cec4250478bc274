#include "pkg/credentials/exec_provider.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <vector>

#include "pkg/base/quote.h"
#include "pkg/credentials/exec_plugin.h"
#include "pkg/credentials/go_duration.h"
#include "pkg/credentials/image_matcher.h"

namespace berth::credentials {
namespace {

constexpr char kGlobalKey[] = "global";

std::string RegistryOf(std::string_view image) {
  return std::string(image.substr(0, image.find('/')));
}

}  // namespace

std::string BuildProviderRequest(std::string_view api_version, std::string_view image) {
  nlohmann::json j = {
      {"apiVersion", api_version}, {"kind", "CredentialProviderRequest"}, {"image", image}};
  return j.dump();
}

Result<ProviderResponse> ParseProviderResponse(std::string_view json_text,
                                               std::string_view api_version) {
  auto j = nlohmann::json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return InvalidArgument("response is not a JSON object");
  auto str = [&](const char* key) -> std::string {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : "";
  };
  if (str("kind") != "CredentialProviderResponse") {
    return InvalidArgument("response kind is not CredentialProviderResponse");
  }
  if (str("apiVersion") != api_version) {
    return InvalidArgument("response apiVersion " + QuoteForMessage(str("apiVersion"), 80) +
                           " does not match the request's " + std::string(api_version));
  }
  ProviderResponse r;
  std::string type = str("cacheKeyType");
  if (type == "Image")
    r.cache_key_type = CacheKeyType::kImage;
  else if (type == "Registry")
    r.cache_key_type = CacheKeyType::kRegistry;
  else if (type == "Global")
    r.cache_key_type = CacheKeyType::kGlobal;
  else
    return InvalidArgument("response cacheKeyType must be Image, Registry or Global");
  if (auto it = j.find("cacheDuration"); it != j.end() && !it->is_null()) {
    if (!it->is_string()) return InvalidArgument("response cacheDuration is not a string");
    auto d = ParseGoDuration(it->get<std::string>());
    if (!d.ok()) return d.status().WithContext("response cacheDuration");
    r.cache_duration = *d;
  }
  if (auto auth = j.find("auth"); auth != j.end() && !auth->is_null()) {
    if (!auth->is_object()) return InvalidArgument("response auth is not an object");
    for (auto it = auth->begin(); it != auth->end(); ++it) {
      if (!it->is_object()) return InvalidArgument("response auth entry is not an object");
      registry::AuthConfig c;
      if (auto u = it->find("username"); u != it->end() && u->is_string()) c.username = *u;
      if (auto p = it->find("password"); p != it->end() && p->is_string()) c.password = *p;
      r.auth[it.key()] = std::move(c);
    }
  }
  return r;
}

std::optional<registry::AuthConfig> BestMatch(
    const std::map<std::string, registry::AuthConfig>& auth, std::string_view image) {
  // std::map iterates in lexicographic order; reverse puts longer keys first among
  // those sharing a prefix, and literal characters before '*'.
  for (auto it = auth.rbegin(); it != auth.rend(); ++it) {
    if (MatchImage(it->first, image)) return it->second;
  }
  return std::nullopt;
}

ExecCredentialProvider::ExecCredentialProvider(CredentialProviderSpec spec,
                                               std::chrono::milliseconds timeout, Clock clock)
    : spec_(std::move(spec)), timeout_(timeout), clock_(std::move(clock)) {}

std::chrono::steady_clock::time_point ExecCredentialProvider::Now() const {
  return clock_ ? clock_() : std::chrono::steady_clock::now();
}

bool ExecCredentialProvider::Matches(std::string_view image) const {
  return std::any_of(spec_.match_images.begin(), spec_.match_images.end(),
                     [&](const std::string& p) { return MatchImage(p, image); });
}

void ExecCredentialProvider::PurgeExpiredLocked(std::chrono::steady_clock::time_point now) {
  std::erase_if(cache_, [&](const auto& kv) { return kv.second.expires <= now; });
}

const ExecCredentialProvider::CacheEntry* ExecCredentialProvider::CachedLocked(
    const std::string& image) {
  PurgeExpiredLocked(Now());
  for (const std::string& key :
       {"image:" + image, "registry:" + RegistryOf(image), std::string(kGlobalKey)}) {
    auto it = cache_.find(key);
    if (it != cache_.end()) return &it->second;
  }
  return nullptr;
}

size_t ExecCredentialProvider::CacheSize() {
  std::lock_guard<std::mutex> lock(mu_);
  PurgeExpiredLocked(Now());
  return cache_.size();
}

size_t ExecCredentialProvider::WaitersFor(const std::string& image) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = flights_.find(image);
  return it == flights_.end() ? 0 : it->second->waiters;
}

std::optional<ProviderResponse> ExecCredentialProvider::RunPlugin(const std::string& image) {
  ExecRequest req;
  req.path = spec_.path;
  req.args = spec_.args;
  req.env = spec_.env;
  req.stdin_data = BuildProviderRequest(spec_.api_version, image);
  req.timeout = timeout_;
  auto out = RunExecPlugin(req);
  if (!out.ok()) {
    spdlog::warn("credentials: provider {} for {}: {}; continuing without its credentials",
                 spec_.name, EscapeForMessage(image), out.status().message());
    return std::nullopt;
  }
  auto resp = ParseProviderResponse(*out, spec_.api_version);
  if (!resp.ok()) {
    spdlog::warn(
        "credentials: provider {} for {} gave an invalid response: {}; continuing "
        "without its credentials",
        spec_.name, EscapeForMessage(image), resp.status().message());
    return std::nullopt;
  }
  return std::move(*resp);
}

std::optional<registry::AuthConfig> ExecCredentialProvider::Provide(const std::string& image) {
  std::shared_ptr<Flight> flight;
  {
    std::unique_lock<std::mutex> lock(mu_);
    if (const CacheEntry* e = CachedLocked(image)) return BestMatch(e->auth, image);
    auto it = flights_.find(image);
    if (it != flights_.end()) {
      flight = it->second;
      ++flight->waiters;
      flight_done_.wait(lock, [&] { return flight->done; });
      if (!flight->auth) return std::nullopt;
      return BestMatch(*flight->auth, image);
    }
    flight = std::make_shared<Flight>();
    flights_[image] = flight;
  }
  // The plugin runs without the lock held: other images proceed in parallel.
  std::optional<ProviderResponse> resp = RunPlugin(image);
  std::lock_guard<std::mutex> lock(mu_);
  if (resp) {
    std::chrono::milliseconds ttl = resp->cache_duration.value_or(spec_.default_cache_duration);
    if (ttl.count() > 0) {
      std::string key = resp->cache_key_type == CacheKeyType::kImage ? "image:" + image
                        : resp->cache_key_type == CacheKeyType::kRegistry
                            ? "registry:" + RegistryOf(image)
                            : std::string(kGlobalKey);
      cache_[key] = CacheEntry{resp->auth, Now() + ttl};
    }
    flight->auth = std::move(resp->auth);
  }
  flight->done = true;
  flights_.erase(image);
  flight_done_.notify_all();
  if (!flight->auth) return std::nullopt;
  return BestMatch(*flight->auth, image);
}

}  // namespace berth::credentials
