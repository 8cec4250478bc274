// Where a pod's cgroup is, by name only: the parts of pod_resources.h that
// touch no file, the same on every system.
#include "pkg/cgroups/pod_resources.h"

namespace berth::cgroups {
namespace {

bool IsSliceChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '@' || c == ':';
}

}  // namespace

bool IsCleanCgroupPath(const std::string& p) {
  if (p.empty() || p[0] != '/') return false;
  std::string body = p.size() > 1 && p.back() == '/' ? p.substr(1, p.size() - 2) : p.substr(1);
  if (body.empty()) return p == "/";
  size_t start = 0;
  for (;;) {
    size_t end = body.find('/', start);
    std::string part =
        body.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (part.empty() || part == "." || part == "..") return false;
    if (end == std::string::npos) return true;
    start = end + 1;
  }
}

Result<std::string> PodCgroupPath(const std::string& parent, bool systemd) {
  if (!systemd) {
    if (!IsCleanCgroupPath(parent)) {
      return InvalidArgument("cgroup parent \"" + parent + "\" is not a clean absolute path");
    }
    std::string p = parent;
    if (p.size() > 1 && p.back() == '/') p.pop_back();
    return p;
  }
  bool ok =
      parent.size() > 6 && parent.ends_with(".slice") && parent.find('/') == std::string::npos;
  for (char c : parent) ok = ok && IsSliceChar(c);
  if (!ok) {
    return InvalidArgument("cgroup parent \"" + parent + "\" is not a systemd slice name");
  }
  if (parent == "-.slice") return std::string("/");
  std::string stem = parent.substr(0, parent.size() - 6);
  if (stem.front() == '-' || stem.back() == '-' || stem.find("--") != std::string::npos) {
    return InvalidArgument("cgroup parent \"" + parent + "\" has an empty slice component");
  }
  // Each '-' opens a nested slice: a-b-c.slice → /a.slice/a-b.slice/a-b-c.slice.
  // Appended piece by piece: GCC 12 at -O3 (the Windows Release build) sees
  // a false overlap in `"/" + std::string` (-Wrestrict).
  std::string path;
  for (size_t dash = stem.find('-'); dash != std::string::npos; dash = stem.find('-', dash + 1)) {
    path += '/';
    path.append(stem, 0, dash);
    path += ".slice";
  }
  path += '/';
  path += parent;
  return path;
}

int64_t SharesToWeight(int64_t shares) {
  if (shares <= 2) return 1;
  if (shares >= 262144) return 10000;
  return 1 + ((shares - 2) * 9999) / 262142;
}

}  // namespace berth::cgroups
