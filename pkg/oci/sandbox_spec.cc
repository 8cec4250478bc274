#include "pkg/oci/sandbox_spec.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

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

Status WriteAll(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return ErrnoError("write", errno);
    p += w;
    n -= static_cast<size_t>(w);
  }
  return OkStatus();
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

Result<int> ReadOwnOomScoreAdj() {
  FILE* f = fopen("/proc/self/oom_score_adj", "re");
  if (f == nullptr) return ErrnoError("open /proc/self/oom_score_adj", errno);
  int v = 0;
  int n = fscanf(f, "%d", &v);
  fclose(f);
  if (n != 1) return Internal("cannot parse /proc/self/oom_score_adj");
  return v;
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

Status PrepareInfraRootfs(const std::string& dir, const std::string& pause_binary) {
  if (mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
    return ErrnoError("create infra rootfs " + dir, errno);
  }
  for (const char* sub : {"/proc", "/dev", "/sys", "/etc"}) {
    std::string p = dir + sub;
    if (mkdir(p.c_str(), 0755) != 0 && errno != EEXIST) {
      return ErrnoError("create " + p, errno);
    }
  }
  // Placed under a temporary name and renamed, so a crash never leaves a
  // truncated /pause behind.
  std::string tmp = dir + "/.pause.tmp";
  std::string dst = dir + "/pause";
  struct stat binary {};
  if (stat(pause_binary.c_str(), &binary) != 0) {
    return ErrnoError("open infra binary " + pause_binary, errno);
  }
  // A hard link spares every pod a copy of the binary. Only of a root-owned
  // file no one else may write: all pods share its inode (a running binary
  // cannot be written anyway, ETXTBSY). Another filesystem (EXDEV) or any
  // other refusal falls back to the copy.
  if (binary.st_uid == 0 && (binary.st_mode & 07777) == 0755) {
    struct stat placed {};
    if (stat(dst.c_str(), &placed) == 0 && placed.st_dev == binary.st_dev &&
        placed.st_ino == binary.st_ino) {
      return OkStatus();  // linked before (rename onto the same inode would keep tmp)
    }
    if (unlink(tmp.c_str()) != 0 && errno != ENOENT) return ErrnoError("remove " + tmp, errno);
    if (link(pause_binary.c_str(), tmp.c_str()) == 0) {
      if (rename(tmp.c_str(), dst.c_str()) == 0) return OkStatus();
      const int err = errno;
      unlink(tmp.c_str());
      return ErrnoError("rename to " + dst, err);
    }
  }
  int in = open(pause_binary.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) return ErrnoError("open infra binary " + pause_binary, errno);
  int out = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
  if (out < 0) {
    int err = errno;
    close(in);
    return ErrnoError("create " + tmp, err);
  }
  Status st;
  char buf[65536];
  for (;;) {
    ssize_t n = read(in, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      st = ErrnoError("read infra binary " + pause_binary, errno);
      break;
    }
    if (n == 0) break;
    st = WriteAll(out, buf, static_cast<size_t>(n));
    if (!st.ok()) {
      st = st.WithContext("copy infra binary to " + tmp);
      break;
    }
  }
  close(in);
  if (st.ok() && fchmod(out, 0755) != 0) st = ErrnoError("chmod " + tmp, errno);
  if (close(out) != 0 && st.ok()) st = ErrnoError("close " + tmp, errno);
  if (st.ok() && rename(tmp.c_str(), dst.c_str()) != 0) st = ErrnoError("rename to " + dst, errno);
  if (!st.ok()) unlink(tmp.c_str());
  return st;
}

}  // namespace berth::oci
