// Where to send requests for a registry host: its mirrors (in order), then the
// host itself, each with its scheme and TLS policy.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "pkg/base/status.h"
#include "pkg/registry/registry_client.h"

namespace berth::registry {

struct Endpoint {
  std::string host;     // "127.0.0.1:5000": what credentials and config are looked up by
  std::string scheme;   // "https" or "http"
  bool insecure = false;        // TLS unverified; plain-HTTP fallback if scheme was not explicit
  bool explicit_scheme = false;  // the mirror URL named its scheme
  bool mirror = false;

  std::string BaseUrl() const { return scheme + "://" + host; }
};

// The registry host to talk to for a reference domain (docker.io -> registry-1.docker.io).
std::string UpstreamHost(std::string_view domain);

// Parses one mirror entry ("host[:port]", "http://host[:port]", "https://host[:port][/]").
// A path other than "/" or "/v2" is InvalidArgument (mirrors are hosts, not prefixes).
Result<Endpoint> ParseMirror(std::string_view mirror, const RegistryHostConfigs& hosts);

// Mirrors of `domain` in config order (invalid ones skipped with a warning), then the upstream.
std::vector<Endpoint> EndpointsFor(std::string_view domain, const RegistryHostConfigs& hosts);

}  // namespace berth::registry
