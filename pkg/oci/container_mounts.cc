// The mounts of a container's spec: the runtime's defaults, the pod's shared
// files, the image's anonymous volumes and the CRI mounts with their
// propagation checked against the host.
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "pkg/base/quote.h"
#include "pkg/fs/dir.h"
#include "pkg/fs/portable_fs.h"  // MakeDir
#include "pkg/oci/container_internal.h"
#include "pkg/oci/spec_defaults.h"

namespace berth::oci::internal {
namespace {

using nlohmann::json;

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string Unescape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      bool octal = true;
      int v = 0;
      for (size_t k = 1; k <= 3; ++k) {
        if (s[i + k] < '0' || s[i + k] > '7') {
          octal = false;
          break;
        }
        v = v * 8 + (s[i + k] - '0');
      }
      if (octal) {
        out += static_cast<char>(v);
        i += 3;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

bool PathUnder(const std::string& path, const std::string& mount_point) {
  if (mount_point == "/") return true;
  return path == mount_point || (path.size() > mount_point.size() &&
                                 path.starts_with(mount_point) && path[mount_point.size()] == '/');
}

size_t Depth(const std::string& path) {
  return static_cast<size_t>(std::count(path.begin(), path.end(), '/'));
}

// Makes a missing host path a directory, as the kubelet expects of hostPath
// volumes it did not create itself.
Status EnsureHostPath(const std::string& who, const std::string& field, const std::string& path) {
  std::error_code ec;
  const std::filesystem::file_status st = std::filesystem::symlink_status(path, ec);
  if (std::filesystem::exists(st)) return OkStatus();
  if (ec && st.type() != std::filesystem::file_type::not_found) {
    return ErrnoError(who + ": " + field + " " + QuoteForMessage(path), ec.value());
  }
  Status s = MkdirAll(path, 0755);
  if (!s.ok()) return s.WithContext(who + ": create " + field + " " + QuoteForMessage(path));
  return OkStatus();
}

// 64-bit FNV-1a: a short, stable directory name for an image volume path.
std::string VolumeDirName(const std::string& path) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : path) {
    h ^= c;
    h *= 1099511628211ull;
  }
  char buf[17];
  snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

}  // namespace

Result<std::string> PropagationOf(const std::string& path, const std::string& mountinfo_path) {
  std::ifstream in(mountinfo_path);
  if (!in) return ErrnoError("open " + mountinfo_path, errno);
  std::string line, best_point, best = "private";
  bool found = false;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::vector<std::string> f;
    for (std::string w; fields >> w;) f.push_back(w);
    auto sep = std::find(f.begin(), f.end(), "-");
    if (f.size() < 7 || sep == f.end() || sep - f.begin() < 6) continue;
    std::string point = Unescape(f[4]);
    if (!PathUnder(path, point)) continue;
    // The longest mount point wins; among equal ones the last listed, which
    // is mounted on top.
    if (found && point.size() < best_point.size()) continue;
    found = true;
    best_point = point;
    best = "private";
    for (auto it = f.begin() + 6; it != sep; ++it) {
      if (it->starts_with("shared:")) best = "shared";
      if (it->starts_with("master:") && best != "shared") best = "slave";
    }
  }
  if (!found) return NotFound("no mount holds " + QuoteForMessage(path) + " in " + mountinfo_path);
  return best;
}

Result<MountPlan> ContainerMounts(const ContainerSpecOptions& o) {
  const auto& c = o.config;
  const auto& sc = c.linux().security_context();
  const std::string who = Who(o.name.empty() ? c.metadata().name() : o.name);
  const bool privileged = sc.privileged();
  std::set<std::string> cri_targets;
  for (const auto& m : c.mounts()) cri_targets.insert(m.container_path());

  // 1. The runtime's own mounts; a CRI mount on the same target replaces one.
  if (!o.pod.shm_path.empty() && !IsCleanAbsolutePath(o.pod.shm_path)) {
    return InvalidArgument(who + ": pod shm path " + QuoteForMessage(o.pod.shm_path) +
                           " is not a clean absolute path");
  }
  const std::string sys_mode = privileged ? "rw" : "ro";
  std::vector<json> defaults = PodRuntimeMounts({.shm_path = o.pod.shm_path,
                                                 .own_ipc_ns = !o.pod.ipc_ns_path.empty(),
                                                 .own_net_ns = !o.pod.net_ns_path.empty(),
                                                 .sys_mode = sys_mode});
  defaults.push_back(MountEntry("/sys/fs/cgroup", "cgroup", "cgroup",
                                {"nosuid", "noexec", "nodev", "relatime", sys_mode}));
  MountPlan plan;
  for (auto& m : defaults) {
    if (!cri_targets.contains(m["destination"].get<std::string>()))
      plan.mounts.push_back(std::move(m));
  }

  // 2. The pod's files, unless the kubelet mounts its own.
  std::vector<json> user;
  const std::string etc_mode = sc.readonly_rootfs() ? "ro" : "rw";
  for (const auto& [dest, src] :
       {std::pair<std::string, std::string>{"/etc/hostname", o.pod.hostname_file},
        {"/etc/hosts", o.pod.hosts_file},
        {"/etc/resolv.conf", o.pod.resolv_conf_file}}) {
    if (src.empty() || cri_targets.contains(dest)) continue;
    if (!IsCleanAbsolutePath(src)) {
      return InvalidArgument(who + ": pod file for " + dest + " " + QuoteForMessage(src) +
                             " is not a clean absolute path");
    }
    user.push_back(MountEntry(dest, "bind", src, {"rbind", "rprivate", etc_mode}));
  }

  // 3. The image's VOLUMEs: an anonymous directory each.
  std::set<std::string> volumes_done;
  for (size_t i = 0; i < o.image.volumes.size(); ++i) {
    std::string dest = o.image.volumes[i];
    while (dest.size() > 1 && dest.back() == '/') dest.pop_back();
    if (!IsCleanAbsolutePath(dest)) {
      return InvalidArgument(who + ": image volume " + QuoteForMessage(o.image.volumes[i]) +
                             " is not a clean absolute path");
    }
    if (dest == "/" || cri_targets.contains(dest) || !volumes_done.insert(dest).second) continue;
    if (!IsCleanAbsolutePath(o.volumes_dir)) {
      return InvalidArgument(who + ": volumes dir " + QuoteForMessage(o.volumes_dir) +
                             " is not a clean absolute path");
    }
    std::string dir = o.volumes_dir + "/" + VolumeDirName(dest);
    if (MakeDir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
      return ErrnoError(who + ": create volume directory " + dir + " for " + QuoteForMessage(dest),
                        errno);
    }
    user.push_back(MountEntry(dest, "bind", dir, {"rbind", "rprivate", "rw"}));
  }

  // 4. The CRI mounts.
  bool any_shared = false, any_slave = false;
  for (int i = 0; i < c.mounts_size(); ++i) {
    const auto& m = c.mounts(i);
    const std::string at = "mounts[" + std::to_string(i) + "]";
    if (!IsCleanAbsolutePath(m.container_path())) {
      return InvalidArgument(who + ": " + at + ".container_path " +
                             QuoteForMessage(m.container_path()) + " is not a clean absolute path");
    }
    if (!IsCleanAbsolutePath(m.host_path())) {
      return InvalidArgument(who + ": " + at + ".host_path " + QuoteForMessage(m.host_path()) +
                             " is not a clean absolute path");
    }
    BERTH_RETURN_IF_ERROR(EnsureHostPath(who, at + ".host_path", m.host_path()));
    std::string propagation = "rprivate";
    if (m.propagation() != runtime::v1::PROPAGATION_PRIVATE) {
      std::error_code ec;
      const std::filesystem::path real = std::filesystem::canonical(m.host_path(), ec);
      if (ec) {
        return ErrnoError(who + ": " + at + ".host_path " + QuoteForMessage(m.host_path()),
                          ec.value());
      }
      auto host = PropagationOf(real.string(), o.mountinfo_path);
      if (!host.ok()) return host.status().WithContext(who + ": " + at);
      if (m.propagation() == runtime::v1::PROPAGATION_BIDIRECTIONAL) {
        if (*host != "shared") {
          return FailedPrecondition(
              who + ": " + at + ": bidirectional propagation needs host path " +
              QuoteForMessage(m.host_path()) + " on a shared mount, but its mount is " + *host);
        }
        propagation = "rshared";
        any_shared = true;
      } else if (m.propagation() == runtime::v1::PROPAGATION_HOST_TO_CONTAINER) {
        if (*host == "private") {
          return FailedPrecondition(who + ": " + at +
                                    ": host-to-container propagation needs host path " +
                                    QuoteForMessage(m.host_path()) +
                                    " on a shared or slave mount, but its mount is private");
        }
        propagation = "rslave";
        any_slave = true;
      } else {
        return InvalidArgument(who + ": " + at + ".propagation " + std::to_string(m.propagation()) +
                               " is unknown");
      }
    }
    std::string mode = m.readonly() ? "ro" : "rw";
    if (m.recursive_read_only()) {
      if (!m.readonly() || m.propagation() != runtime::v1::PROPAGATION_PRIVATE) {
        return InvalidArgument(who + ": " + at +
                               ".recursive_read_only needs readonly and private propagation");
      }
      if (!o.supports_recursive_read_only) {
        return InvalidArgument(
            who + ": " + at +
            ".recursive_read_only: the runtime cannot make mounts recursively read-only");
      }
      mode = "rro";
    }
    // selinux_relabel: berth has no SELinux relabelling; with SELinux off
    // (the hosts berth supports today) there is nothing to relabel.
    user.push_back(
        MountEntry(m.container_path(), "bind", m.host_path(), {"rbind", propagation, mode}));
  }

  // Parents before children, so /data/logs lands on top of /data; the stable
  // sort keeps the order given among equal depths.
  std::stable_sort(user.begin(), user.end(), [](const json& a, const json& b) {
    return Depth(a["destination"].get<std::string>()) < Depth(b["destination"].get<std::string>());
  });
  for (auto& m : user) plan.mounts.push_back(std::move(m));
  if (any_shared) {
    plan.rootfs_propagation = "rshared";
  } else if (any_slave) {
    plan.rootfs_propagation = "rslave";
  }
  return plan;
}

}  // namespace berth::oci::internal
