// CredentialResolver: which credentials a pull presents to a registry host.
// First match wins:
//  1. the request's own AuthConfig (CRI PullImageRequest.auth), when not empty;
//  2. the auth_file (docker config.json), matched by registry host;
//  3. exec credential-provider plugins (kubelet CredentialProviderConfig), in
//     config order, for providers whose matchImages match the image.
// Lookups never fail: a broken auth file or plugin is logged (without secrets)
// and the pull goes on anonymously.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pkg/base/status.h"
#include "pkg/credentials/exec_provider.h"
#include "pkg/registry/auth_config.h"
#include "pkg/registry/reference.h"

namespace berth::credentials {

struct CredentialsOptions {
  std::string auth_file;        // "" = none
  std::string provider_config;  // "" = no plugins
  std::string provider_bin_dir;
  std::chrono::milliseconds plugin_timeout{60000};
  Clock clock;  // for tests; default steady_clock
};

class CredentialResolver {
 public:
  // Loads and validates the provider config (an error names the file and key).
  static Result<std::unique_ptr<CredentialResolver>> Create(CredentialsOptions options);

  // Credentials for fetching `ref` from `host` (ref.domain, or a mirror's host).
  // Plugins see the repository name on `host` ("host/path"), as the kubelet
  // passes it (no tag or digest).
  std::optional<registry::AuthConfig> Lookup(const registry::Reference& ref, std::string_view host,
                                             const registry::AuthConfig* request_auth);

  const std::vector<std::unique_ptr<ExecCredentialProvider>>& providers() const {
    return providers_;
  }

 private:
  explicit CredentialResolver(CredentialsOptions options) : options_(std::move(options)) {}

  const CredentialsOptions options_;
  std::vector<std::unique_ptr<ExecCredentialProvider>> providers_;  // immutable after Create
};

}  // namespace berth::credentials
