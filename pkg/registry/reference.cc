#include "pkg/registry/reference.h"

#include <cctype>

#include "pkg/base/digest.h"
#include "pkg/base/quote.h"

namespace berth::registry {
namespace {

constexpr size_t kMaxInputLength = 4096;  // far above any valid reference; bounds the work
constexpr size_t kMaxTagLength = 128;

bool IsLowerAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}
bool IsAlnum(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0;
}
bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}

Status Invalid(std::string_view ref, std::string_view why) {
  return InvalidArgument("invalid image reference " + QuoteForMessage(ref) + ": " +
                         std::string(why));
}

// One path component: [a-z0-9]+ joined by single separators '.', '_', "__" or runs of '-'.
bool IsValidPathComponent(std::string_view c) {
  if (c.empty() || !IsLowerAlnum(c.front()) || !IsLowerAlnum(c.back())) return false;
  for (size_t i = 0; i < c.size();) {
    if (IsLowerAlnum(c[i])) {
      ++i;
      continue;
    }
    size_t start = i;
    if (c[i] == '-') {
      while (i < c.size() && c[i] == '-') ++i;
    } else if (c[i] == '_' && i + 1 < c.size() && c[i + 1] == '_') {
      i += 2;
    } else if (c[i] == '.' || c[i] == '_') {
      ++i;
    } else {
      return false;
    }
    if (i == start || i >= c.size() || !IsLowerAlnum(c[i])) return false;
  }
  return true;
}

// A DNS-ish host label: alnum, inner '-' allowed.
bool IsValidDomainLabel(std::string_view l) {
  if (l.empty() || !IsAlnum(l.front()) || !IsAlnum(l.back())) return false;
  for (char c : l) {
    if (!IsAlnum(c) && c != '-') return false;
  }
  return true;
}

// A TCP port, 1..65535 (a larger one would only fail later, as a bad URL).
bool IsValidPort(std::string_view p) {
  if (p.empty() || p.size() > 5) return false;
  unsigned value = 0;
  for (char c : p) {
    if (!IsDigit(c)) return false;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  return value >= 1 && value <= 65535;
}

// host[:port] where host is dotted labels or a bracketed IPv6 literal.
bool IsValidDomain(std::string_view d) {
  std::string_view host = d;
  std::string_view port;
  if (d.starts_with('[')) {
    size_t close = d.find(']');
    if (close == std::string_view::npos || close < 3) return false;
    for (char c : d.substr(1, close - 1)) {
      if (!std::isxdigit(static_cast<unsigned char>(c)) && c != ':' && c != '.') return false;
    }
    std::string_view rest = d.substr(close + 1);
    if (rest.empty()) return true;
    if (rest.front() != ':') return false;
    return IsValidPort(rest.substr(1));
  }
  if (size_t colon = d.find(':'); colon != std::string_view::npos) {
    host = d.substr(0, colon);
    port = d.substr(colon + 1);
    if (!IsValidPort(port)) return false;
  }
  if (host.empty()) return false;
  size_t start = 0;
  while (true) {
    size_t dot = host.find('.', start);
    std::string_view label =
        host.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (!IsValidDomainLabel(label)) return false;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return true;
}

// Tags: [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
bool IsValidTag(std::string_view t) {
  if (t.empty() || t.size() > kMaxTagLength) return false;
  if (!(IsAlnum(t.front()) || t.front() == '_')) return false;
  for (char c : t) {
    if (!(IsAlnum(c) || c == '_' || c == '.' || c == '-')) return false;
  }
  return true;
}

bool HasUpper(std::string_view s) {
  for (char c : s) {
    if (c >= 'A' && c <= 'Z') return true;
  }
  return false;
}

Result<Reference> Parse(std::string_view ref, bool default_tag) {
  if (ref.empty()) return Invalid(ref, "empty reference");
  if (ref.size() > kMaxInputLength) return Invalid(ref, "reference is too long");
  Reference out;
  std::string_view rest = ref;

  // 1. "@digest" suffix.
  if (size_t at = rest.find('@'); at != std::string_view::npos) {
    std::string_view digest = rest.substr(at + 1);
    if (!IsSha256Digest(digest)) {
      if (digest.find(':') != std::string_view::npos && !digest.starts_with(kSha256Prefix)) {
        return Invalid(ref, "unsupported digest algorithm (only sha256 is accepted)");
      }
      return Invalid(ref, "invalid digest (want sha256:<64 lowercase hex digits>)");
    }
    out.digest = std::string(digest);
    rest = rest.substr(0, at);
  }

  // 2. ":tag" suffix: a colon after the last '/' (a colon before it is a port).
  size_t last_slash = rest.rfind('/');
  size_t colon = rest.rfind(':');
  if (colon != std::string_view::npos &&
      (last_slash == std::string_view::npos || colon > last_slash)) {
    std::string_view tag = rest.substr(colon + 1);
    if (!IsValidTag(tag)) {
      return Invalid(ref, "invalid tag (want [A-Za-z0-9_][A-Za-z0-9_.-]{0,127})");
    }
    out.tag = std::string(tag);
    rest = rest.substr(0, colon);
  }
  if (rest.empty()) return Invalid(ref, "missing repository name");
  if (LooksLikeImageId(rest)) {
    return Invalid(ref, "a 64-character hexadecimal string is an image ID, not a repository name");
  }

  // 3. Domain: the first component when it looks like a host.
  std::string_view remainder = rest;
  size_t slash = rest.find('/');
  std::string_view first = rest.substr(0, slash);
  bool first_is_domain = slash != std::string_view::npos &&
                         (first.find_first_of(".:") != std::string_view::npos ||
                          first == "localhost" || first.starts_with('[') || HasUpper(first));
  if (first_is_domain) {
    if (!IsValidDomain(first)) return Invalid(ref, "invalid registry host");
    out.domain = std::string(first);
    remainder = rest.substr(slash + 1);
  } else {
    out.domain = std::string(kDockerHubDomain);
  }
  if (out.domain == "index.docker.io") out.domain = std::string(kDockerHubDomain);
  if (HasUpper(remainder)) return Invalid(ref, "repository name must be lowercase");
  if (out.domain == kDockerHubDomain && remainder.find('/') == std::string_view::npos) {
    out.path = "library/" + std::string(remainder);
  } else {
    out.path = std::string(remainder);
  }

  // 4. Path components.
  std::string_view p = out.path;
  while (true) {
    size_t s = p.find('/');
    if (!IsValidPathComponent(p.substr(0, s))) {
      return Invalid(ref,
                     "invalid repository path component (want lowercase [a-z0-9] joined by "
                     "'.', '_', '__' or '-')");
    }
    if (s == std::string_view::npos) break;
    p = p.substr(s + 1);
  }
  if (out.domain.size() + 1 + out.path.size() > kMaxNameLength) {
    return Invalid(ref, "repository name must not be more than 255 characters");
  }
  if (default_tag && out.tag.empty() && out.digest.empty()) out.tag = "latest";
  return out;
}

}  // namespace

std::string Reference::Name() const {
  return domain + "/" + path;
}

std::string Reference::String() const {
  std::string s = Name();
  if (!tag.empty()) s += ":" + tag;
  if (!digest.empty()) s += "@" + digest;
  return s;
}

std::string Reference::TagString() const {
  return tag.empty() ? "" : Name() + ":" + tag;
}

std::string Reference::DigestString() const {
  return digest.empty() ? "" : Name() + "@" + digest;
}

Result<Reference> ParseReference(std::string_view ref) {
  return Parse(ref, true);
}

Result<Reference> ParseReferenceNoDefaultTag(std::string_view ref) {
  return Parse(ref, false);
}

bool LooksLikeImageId(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace berth::registry
