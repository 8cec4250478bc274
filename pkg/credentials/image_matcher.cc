#include "pkg/credentials/image_matcher.h"

#include <string>
#include <vector>

namespace berth::credentials {
namespace {

struct UrlParts {
  std::string_view host;
  std::string_view port;
  std::string_view path;
};

UrlParts Split(std::string_view s) {
  // A scheme written in the pattern or image is not part of the comparison.
  if (size_t p = s.find("://"); p != std::string_view::npos) s.remove_prefix(p + 3);
  UrlParts u;
  size_t slash = s.find('/');
  std::string_view authority = s.substr(0, slash);
  u.path = slash == std::string_view::npos ? std::string_view() : s.substr(slash);
  // Cut off a query or fragment, as URL parsing would.
  if (size_t q = u.path.find_first_of("?#"); q != std::string_view::npos)
    u.path = u.path.substr(0, q);
  if (authority.starts_with('[')) {
    size_t close = authority.find(']');
    // An IPv6 literal has colons inside; "[a-z]registry.io" is a glob class.
    if (close != std::string_view::npos &&
        authority.substr(0, close).find(':') != std::string_view::npos) {
      u.host = authority.substr(0, close + 1);
      std::string_view rest = authority.substr(close + 1);
      if (rest.starts_with(':')) u.port = rest.substr(1);
      return u;
    }
  }
  size_t colon = authority.rfind(':');
  if (colon != std::string_view::npos) {
    u.host = authority.substr(0, colon);
    u.port = authority.substr(colon + 1);
  } else {
    u.host = authority;
  }
  return u;
}

std::vector<std::string_view> Parts(std::string_view host) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t dot = host.find('.', start);
    out.push_back(
        host.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return out;
}

// Matches a [...] class at glob[gi] against c; sets `end` past the class. -1 = malformed.
int MatchClass(std::string_view glob, size_t gi, char c, size_t* end) {
  size_t i = gi + 1;
  bool negate = false;
  if (i < glob.size() && (glob[i] == '^' || glob[i] == '!')) {
    negate = true;
    ++i;
  }
  bool matched = false;
  bool first = true;
  while (i < glob.size() && (glob[i] != ']' || first)) {
    first = false;
    char lo = glob[i];
    if (lo == '\\' && i + 1 < glob.size()) lo = glob[++i];
    ++i;
    char hi = lo;
    if (i + 1 < glob.size() && glob[i] == '-' && glob[i + 1] != ']') {
      hi = glob[i + 1];
      if (hi == '\\' && i + 2 < glob.size()) {
        hi = glob[i + 2];
        ++i;
      }
      i += 2;
    }
    if (lo <= c && c <= hi) matched = true;
  }
  if (i >= glob.size()) return -1;
  *end = i + 1;
  return matched != negate ? 1 : 0;
}

}  // namespace

bool GlobMatch(std::string_view glob, std::string_view text) {
  // Iterative matcher with one backtrack point for the last '*'.
  size_t g = 0, t = 0;
  size_t star_g = std::string_view::npos, star_t = 0;
  while (t < text.size()) {
    if (g < glob.size()) {
      char gc = glob[g];
      if (gc == '*') {
        star_g = g++;
        star_t = t;
        continue;
      }
      if (gc == '?') {
        ++g;
        ++t;
        continue;
      }
      if (gc == '[') {
        size_t end = 0;
        int m = MatchClass(glob, g, text[t], &end);
        if (m < 0) return false;
        if (m == 1) {
          g = end;
          ++t;
          continue;
        }
      } else {
        if (gc == '\\' && g + 1 < glob.size()) gc = glob[++g];
        if (gc == text[t]) {
          ++g;
          ++t;
          continue;
        }
      }
    }
    if (star_g == std::string_view::npos) return false;
    g = star_g + 1;
    t = ++star_t;
  }
  while (g < glob.size() && glob[g] == '*') ++g;
  return g == glob.size();
}

bool MatchImage(std::string_view pattern, std::string_view image) {
  UrlParts p = Split(pattern);
  UrlParts i = Split(image);
  if (p.host.empty() || i.host.empty()) return false;
  if (p.port != i.port) return false;
  std::vector<std::string_view> pp = Parts(p.host), ip = Parts(i.host);
  if (pp.size() != ip.size()) return false;
  for (size_t k = 0; k < pp.size(); ++k) {
    if (!GlobMatch(pp[k], ip[k])) return false;
  }
  return i.path.starts_with(p.path);
}

}  // namespace berth::credentials
