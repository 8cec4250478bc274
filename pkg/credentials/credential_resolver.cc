#include "pkg/credentials/credential_resolver.h"

#include <spdlog/spdlog.h>

#include "pkg/base/quote.h"
#include "pkg/credentials/auth_file.h"
#include "pkg/credentials/provider_config.h"

namespace berth::credentials {

Result<std::unique_ptr<CredentialResolver>> CredentialResolver::Create(CredentialsOptions options) {
  std::unique_ptr<CredentialResolver> r(new CredentialResolver(options));
  if (!options.provider_config.empty()) {
    BERTH_ASSIGN_OR_RETURN(
        std::vector<CredentialProviderSpec> specs,
        LoadCredentialProviderConfig(options.provider_config, options.provider_bin_dir));
    for (CredentialProviderSpec& s : specs) {
      r->providers_.push_back(std::make_unique<ExecCredentialProvider>(
          std::move(s), options.plugin_timeout, options.clock));
    }
  }
  return r;
}

std::optional<registry::AuthConfig> CredentialResolver::Lookup(
    const registry::Reference& ref, std::string_view host,
    const registry::AuthConfig* request_auth) {
  // 1. The request's credentials.
  if (request_auth != nullptr && !request_auth->empty()) {
    auto n = registry::NormalizeAuthConfig(*request_auth);
    if (n.ok()) return *n;
    spdlog::warn("credentials: request credentials for {} unusable: {}", ref.Name(),
                 n.status().message());
  }
  // 2. The auth file.
  if (!options_.auth_file.empty()) {
    auto found = LookupAuthFile(options_.auth_file, host);
    if (!found.ok()) {
      spdlog::warn("credentials: {}", found.status().message());
    } else if (found->has_value()) {
      return **found;
    }
  }
  // 3. Plugins, for the repository as it lives on `host`.
  const std::string image = std::string(host) + "/" + ref.path;
  for (const auto& p : providers_) {
    if (!p->Matches(image)) continue;
    if (auto c = p->Provide(image)) {
      spdlog::debug("credentials: provider {} supplied credentials for {}", p->name(),
                    EscapeForMessage(image));
      return c;
    }
  }
  return std::nullopt;
}

}  // namespace berth::credentials
