#include "pkg/stats/cgroup_path.h"

#include <nlohmann/json.hpp>

#include "pkg/cgroups/pod_resources.h"

namespace berth::stats {
namespace {

// What systemd accepts in a unit name (and nothing that could steer a path).
bool IsUnitNamePart(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.' || c == '@' || c == '\\';
    if (!ok) return false;
  }
  return s != "." && s != "..";
}

std::string Quoted(std::string_view s) {
  return "\"" + std::string(s) + "\"";
}

}  // namespace

Result<std::string> CgroupDirOf(std::string_view cgroups_path) {
  if (!cgroups_path.empty() && cgroups_path.front() == '/') {
    Result<std::string> dir = cgroups::PodCgroupPath(std::string(cgroups_path), false);
    if (!dir.ok()) return InvalidArgument("cgroupsPath " + Quoted(cgroups_path) + " is not clean");
    return dir;
  }
  const size_t first = cgroups_path.find(':');
  const size_t second = first == std::string_view::npos ? first : cgroups_path.find(':', first + 1);
  if (second == std::string_view::npos ||
      cgroups_path.find(':', second + 1) != std::string_view::npos) {
    return InvalidArgument("cgroupsPath " + Quoted(cgroups_path) +
                           " is neither an absolute path nor \"slice:prefix:name\"");
  }
  std::string slice(cgroups_path.substr(0, first));
  const std::string_view prefix = cgroups_path.substr(first + 1, second - first - 1);
  const std::string_view name = cgroups_path.substr(second + 1);
  // runc puts a scope with no slice into system.slice.
  if (slice.empty()) slice = "system.slice";
  if (!IsUnitNamePart(prefix) || !IsUnitNamePart(name)) {
    return InvalidArgument("cgroupsPath " + Quoted(cgroups_path) +
                           " does not name a scope (\"slice:prefix:name\")");
  }
  Result<std::string> parent = cgroups::PodCgroupPath(slice, true);
  if (!parent.ok()) return parent.status().WithContext("cgroupsPath " + Quoted(cgroups_path));
  const std::string base = *parent == "/" ? "" : *parent;
  return base + "/" + std::string(prefix) + "-" + std::string(name) + ".scope";
}

Result<std::string> PodCgroupDirOf(const std::string& cgroup_parent) {
  const bool systemd = cgroup_parent.empty() || cgroup_parent.front() != '/';
  return cgroups::PodCgroupPath(cgroup_parent, systemd);
}

Result<std::string> SpecCgroupsPath(std::string_view config_json) {
  nlohmann::json spec = nlohmann::json::parse(config_json, nullptr, false);
  if (spec.is_discarded()) return InvalidArgument("config.json is not JSON");
  auto section = spec.find("linux");
  if (section == spec.end() || !section->is_object()) {
    return NotFound("config.json has no linux section");
  }
  auto path = section->find("cgroupsPath");
  if (path == section->end() || !path->is_string() || path->get<std::string>().empty()) {
    return NotFound("config.json has no linux.cgroupsPath");
  }
  return path->get<std::string>();
}

}  // namespace berth::stats
