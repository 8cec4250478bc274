#include "pkg/registry/registry_endpoints.h"

#include <spdlog/spdlog.h>

#include <cctype>

#include "pkg/base/inet_address.h"
#include "pkg/base/quote.h"

namespace berth::registry {
namespace {

const RegistryHostConfig* FindHost(const RegistryHostConfigs& hosts, std::string_view host) {
  auto it = hosts.find(std::string(host));
  if (it != hosts.end()) return &it->second;
  // docker.io has several spellings; a config written with any of them applies.
  if (host == "docker.io" || host == "registry-1.docker.io" || host == "index.docker.io") {
    for (const char* alias : {"docker.io", "registry-1.docker.io", "index.docker.io"}) {
      it = hosts.find(alias);
      if (it != hosts.end()) return &it->second;
    }
  }
  return nullptr;
}

bool ValidHostPort(std::string_view h) {
  if (h.empty() || h.size() > 255) return false;
  for (char c : h) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':' ||
          c == '[' || c == ']')) {
      return false;
    }
  }
  return true;
}

// The host part of "host[:port]" or "[v6][:port]"; a bare v6 address stays whole.
std::string HostOnly(std::string_view host_port) {
  if (host_port.starts_with("[")) {
    size_t close = host_port.find(']');
    return std::string(
        host_port.substr(1, close == std::string_view::npos ? host_port.npos : close - 1));
  }
  size_t colon = host_port.find(':');
  if (colon != std::string_view::npos && host_port.find(':', colon + 1) != std::string_view::npos) {
    return std::string(host_port);  // more than one ':': an unbracketed v6 address
  }
  return std::string(host_port.substr(0, colon));
}

}  // namespace

bool IsLoopbackHost(std::string_view host_port) {
  std::string host = HostOnly(host_port);
  std::string lower = host;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "localhost" || lower == "localhost.") return true;
  in_addr v4{};
  // Not inet_pton: "127.1" reads the way the resolver (and curl) read it.
  if (ParseIpv4LikeResolver(host.c_str(), &v4)) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
    if (IN6_IS_ADDR_LOOPBACK(&v6)) return true;
    return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
  }
  return false;
}

std::string InsecureRegistryHint(std::string_view host) {
  const std::string h = EscapeForMessage(host);
  return "if " + h + " speaks plain HTTP or uses a certificate this node does not trust, " +
         "mark it insecure in berth's config (e.g. a drop-in in /etc/berth/berth.yaml.d/): " +
         "registries: {\"" + h + "\": {insecure: true}}";
}

std::string UpstreamHost(std::string_view domain) {
  if (domain == "docker.io" || domain == "index.docker.io") return "registry-1.docker.io";
  return std::string(domain);
}

Result<Endpoint> ParseMirror(std::string_view mirror, const RegistryHostConfigs& hosts) {
  Endpoint ep;
  ep.mirror = true;
  std::string_view rest = mirror;
  if (rest.starts_with("https://")) {
    ep.scheme = "https";
    ep.explicit_scheme = true;
    rest.remove_prefix(8);
  } else if (rest.starts_with("http://")) {
    ep.scheme = "http";
    ep.explicit_scheme = true;
    rest.remove_prefix(7);
  } else if (rest.find("://") != std::string_view::npos) {
    return InvalidArgument("mirror " + QuoteForMessage(mirror) + ": scheme must be http or https");
  } else {
    ep.scheme = "https";
  }
  size_t slash = rest.find('/');
  std::string_view host = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash);
  if (!path.empty() && path != "/" && path != "/v2" && path != "/v2/") {
    return InvalidArgument("mirror " + QuoteForMessage(mirror) +
                           ": a path is not supported, give scheme://host[:port]");
  }
  if (!ValidHostPort(host)) {
    return InvalidArgument("mirror " + QuoteForMessage(mirror) + ": invalid host");
  }
  ep.host = std::string(host);
  if (const RegistryHostConfig* cfg = FindHost(hosts, ep.host)) ep.insecure = cfg->insecure;
  ep.insecure = ep.insecure || IsLoopbackHost(ep.host);
  return ep;
}

std::vector<Endpoint> EndpointsFor(std::string_view domain, const RegistryHostConfigs& hosts) {
  std::vector<Endpoint> out;
  const RegistryHostConfig* cfg = FindHost(hosts, domain);
  if (cfg != nullptr) {
    for (const std::string& m : cfg->mirrors) {
      auto ep = ParseMirror(m, hosts);
      if (!ep.ok()) {
        spdlog::warn("registry: ignoring mirror of {}: {}", EscapeForMessage(domain),
                     ep.status().message());
        continue;
      }
      out.push_back(std::move(*ep));
    }
  }
  Endpoint up;
  up.host = UpstreamHost(domain);
  up.scheme = "https";
  up.insecure = (cfg != nullptr && cfg->insecure) || IsLoopbackHost(up.host);
  out.push_back(std::move(up));
  return out;
}

}  // namespace berth::registry
