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
  std::string host;    // "127.0.0.1:5000": what credentials and config are looked up by
  std::string scheme;  // "https" or "http"
  // TLS unverified; plain-HTTP fallback if scheme was not explicit. Set by the
  // host's `insecure` config, and for loopback hosts (see IsLoopbackHost).
  bool insecure = false;
  bool explicit_scheme = false;  // the mirror URL named its scheme
  bool mirror = false;

  std::string BaseUrl() const { return scheme + "://" + host; }
};

// Whether `host` ("name[:port]", "[v6]:port") names a loopback address:
// "localhost", an IPv4 address in 127.0.0.0/8, ::1 or ::ffff:127.x.y.z. Only
// the name is looked at, never DNS. As docker does, such a registry is treated
// as insecure without configuration: traffic to it never leaves the node, and
// a local test registry usually speaks plain HTTP.
bool IsLoopbackHost(std::string_view host);

// What to tell an operator whose secure registry failed the TLS handshake: how
// to mark it insecure in berth's config.
std::string InsecureRegistryHint(std::string_view host);

// The registry host to talk to for a reference domain (docker.io -> registry-1.docker.io).
std::string UpstreamHost(std::string_view domain);

// Parses one mirror entry ("host[:port]", "http://host[:port]", "https://host[:port][/]").
// A path other than "/" or "/v2" is InvalidArgument (mirrors are hosts, not prefixes).
Result<Endpoint> ParseMirror(std::string_view mirror, const RegistryHostConfigs& hosts);

// Mirrors of `domain` in config order (invalid ones skipped with a warning), then the upstream.
std::vector<Endpoint> EndpointsFor(std::string_view domain, const RegistryHostConfigs& hosts);

}  // namespace berth::registry
