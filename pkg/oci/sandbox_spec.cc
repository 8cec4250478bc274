#include "pkg/oci/sandbox_spec.h"

#include <cerrno>
#include <cstdio>

#include "pkg/base/quote.h"
#include "pkg/oci/spec_defaults.h"

namespace berth::oci {
namespace {

using nlohmann::json;

bool IsHexId(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool IsCleanAbsolutePath(const std::string& p) {
  if (p.empty() || p[0] != '/') return false;
  size_t start = 1;
  while (start <= p.size()) {
    size_t end = p.find('/', start);
    if (end == std::string::npos) end = p.size();
    std::string_view comp(p.data() + start, end - start);
    if (comp == "." || comp == "..") return false;
    if (comp.empty() && end != p.size()) return false;  // "//"
    start = end + 1;
  }
  for (char c : p) {
    if (static_cast<unsigned char>(c) < 0x20 || c == ':') return false;
  }
  return true;
}

json Namespace(const std::string& type, const std::string& path = "") {
  json ns{{"type", type}};
  if (!path.empty()) ns["path"] = path;
  return ns;
}

Status CheckNsPath(const char* what, const std::string& path) {
  if (path.empty() || IsCleanAbsolutePath(path)) return OkStatus();
  return InvalidArgument(std::string(what) + " namespace path " + QuoteForMessage(path) +
                         " is not a clean absolute path");
}

}  // namespace

Result<std::string> SandboxCgroupsPath(CgroupManager manager, const std::string& parent,
                                       const std::string& id) {
  if (!IsHexId(id)) return InvalidArgument("sandbox ID " + QuoteForMessage(id) + " is not hex");
  if (manager == CgroupManager::kSystemd) {
    std::string slice = parent.empty() ? "system.slice" : parent;
    bool ok = slice.size() > 6 && slice.ends_with(".slice");
    for (char c : slice) {
      ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_' || c == '.' || c == '@');
    }
    if (!ok) {
      return InvalidArgument("cgroup parent " + QuoteForMessage(slice) +
                             " is not a systemd slice name (\"<name>.slice\")");
    }
    return slice + ":berth:" + id;
  }
  std::string dir = parent.empty() ? "/berth" : parent;
  if (!IsCleanAbsolutePath(dir)) {
    return InvalidArgument("cgroup parent " + QuoteForMessage(dir) +
                           " is not a clean absolute path");
  }
  if (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return (dir == "/" ? "" : dir) + "/berth-" + id;
}

Result<json> BuildSandboxSpec(const SandboxSpecOptions& o) {
  if (!IsCleanAbsolutePath(o.rootfs)) {
    return InvalidArgument("infra rootfs " + QuoteForMessage(o.rootfs) +
                           " is not a clean absolute path");
  }
  if (o.args.empty()) return InvalidArgument("infra process has no args");
  BERTH_RETURN_IF_ERROR(CheckNsPath("network", o.net_ns_path));
  BERTH_RETURN_IF_ERROR(CheckNsPath("IPC", o.ipc_ns_path));
  BERTH_RETURN_IF_ERROR(CheckNsPath("UTS", o.uts_ns_path));
  if (!o.hostname.empty() && o.uts_ns_path.empty()) {
    return InvalidArgument("hostname " + QuoteForMessage(o.hostname) +
                           " needs the pod's own UTS namespace");
  }
  if (!o.shm_path.empty() && !IsCleanAbsolutePath(o.shm_path)) {
    return InvalidArgument("shm path " + QuoteForMessage(o.shm_path) +
                           " is not a clean absolute path");
  }
  if (o.oom_score_adj < -1000 || o.oom_score_adj > 1000) {
    return InvalidArgument("oom_score_adj " + std::to_string(o.oom_score_adj) +
                           " is outside [-1000, 1000]");
  }
  BERTH_ASSIGN_OR_RETURN(std::string cgroups_path,
                         SandboxCgroupsPath(o.cgroup_manager, o.cgroup_parent, o.id));

  BERTH_ASSIGN_OR_RETURN(
      int oom, ClampOomScoreAdj(o.oom_score_adj, o.clamp_oom_score_adj, o.own_oom_score_adj));

  json caps = json::array();
  json process{
      {"terminal", false},
      {"user", {{"uid", o.uid}, {"gid", o.gid}}},
      {"args", o.args},
      {"env", o.env},
      {"cwd", "/"},
      {"capabilities",
       {{"bounding", caps},
        {"effective", caps},
        {"inheritable", caps},
        {"permitted", caps},
        {"ambient", caps}}},
      {"noNewPrivileges", true},
      {"oomScoreAdj", oom},
  };
  if (!o.additional_gids.empty()) process["user"]["additionalGids"] = o.additional_gids;

  json mounts = PodRuntimeMounts({.shm_path = o.shm_path,
                                  .own_ipc_ns = !o.ipc_ns_path.empty(),
                                  .own_net_ns = !o.net_ns_path.empty(),
                                  .sys_mode = "ro"});

  json namespaces = json::array();
  if (!o.host_pid) namespaces.push_back(Namespace("pid"));
  if (!o.net_ns_path.empty()) namespaces.push_back(Namespace("network", o.net_ns_path));
  if (!o.ipc_ns_path.empty()) namespaces.push_back(Namespace("ipc", o.ipc_ns_path));
  if (!o.uts_ns_path.empty()) namespaces.push_back(Namespace("uts", o.uts_ns_path));
  namespaces.push_back(Namespace("mount"));

  json linux_{
      {"namespaces", namespaces},
      {"cgroupsPath", cgroups_path},
      {"resources", {{"devices", json::array({{{"allow", false}, {"access", "rwm"}}})}}},
      {"maskedPaths", DefaultMaskedPaths()},
      {"readonlyPaths", DefaultReadonlyPaths()},
  };
  if (!o.sysctls.empty()) linux_["sysctl"] = o.sysctls;
  if (o.seccomp) {
    if (!o.seccomp->is_object()) return InvalidArgument("seccomp profile must be a JSON object");
    linux_["seccomp"] = *o.seccomp;
  }

  json spec{
      {"ociVersion", "1.0.2"},
      {"process", process},
      {"root", {{"path", o.rootfs}, {"readonly", true}}},
      {"mounts", mounts},
      {"annotations", o.annotations},
      {"linux", linux_},
  };
  if (!o.hostname.empty()) spec["hostname"] = o.hostname;
  return spec;
}

}  // namespace berth::oci
