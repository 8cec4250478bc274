// The devices of a container: the CRI's, each checked to be a device node on
// the host, or every host device for a privileged container.
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cerrno>
#include <map>

#include "pkg/base/quote.h"
#include "pkg/fs/dir.h"
#include "pkg/oci/container_internal.h"

namespace berth::oci::internal {
namespace {

using nlohmann::json;

// A /dev tree is shallow; the bound only stops a pathological one.
constexpr int kMaxDevDepth = 8;

json DeviceEntry(const std::string& path, const struct stat& st) {
  return json{{"path", path},
              {"type", S_ISBLK(st.st_mode) ? "b" : "c"},
              {"major", static_cast<int64_t>(major(st.st_rdev))},
              {"minor", static_cast<int64_t>(minor(st.st_rdev))},
              {"fileMode", st.st_mode & 07777},
              {"uid", st.st_uid},
              {"gid", st.st_gid}};
}

json AllowRule(const struct stat& st, const std::string& access) {
  return json{{"allow", true},
              {"type", S_ISBLK(st.st_mode) ? "b" : "c"},
              {"major", static_cast<int64_t>(major(st.st_rdev))},
              {"minor", static_cast<int64_t>(minor(st.st_rdev))},
              {"access", access}};
}

// Host device nodes under `dir` (symlinks not followed), keyed by the path
// they get in the container ("/dev" + the part below `root`).
void CollectHostDevices(const std::string& root, const std::string& rel, int depth,
                        std::map<std::string, json>* out) {
  if (depth > kMaxDevDepth) return;
  // An unreadable corner of /dev lists as empty and is left out.
  for (const std::string& name : ListDirOrEmpty(root + rel)) {
    std::string sub = rel + "/" + name;
    // devpts, shm and mqueue come from the container's own mounts; the
    // runtime sets up the console itself.
    if (sub == "/pts" || sub == "/shm" || sub == "/mqueue" || sub == "/console") continue;
    struct stat st;
    if (lstat((root + sub).c_str(), &st) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      CollectHostDevices(root, sub, depth + 1, out);
    } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
      (*out)["/dev" + sub] = DeviceEntry("/dev" + sub, st);
    }
  }
}

}  // namespace

Result<DevicePlan> ContainerDevices(const runtime::v1::ContainerConfig& config,
                                    const std::string& who, const std::string& dev_dir) {
  const bool privileged = config.linux().security_context().privileged();
  DevicePlan plan;
  std::map<std::string, json> devices;  // by container path: a CRI device replaces a host one
  if (privileged) {
    CollectHostDevices(dev_dir, "", 0, &devices);
    plan.cgroup_rules.push_back({{"allow", true}, {"access", "rwm"}});
  } else {
    plan.cgroup_rules.push_back({{"allow", false}, {"access", "rwm"}});
  }
  for (int i = 0; i < config.devices_size(); ++i) {
    const auto& d = config.devices(i);
    const std::string at = "devices[" + std::to_string(i) + "]";
    if (!IsCleanAbsolutePath(d.container_path())) {
      return InvalidArgument(who + ": " + at + ".container_path " +
                             QuoteForMessage(d.container_path()) + " is not a clean absolute path");
    }
    if (!IsCleanAbsolutePath(d.host_path())) {
      return InvalidArgument(who + ": " + at + ".host_path " + QuoteForMessage(d.host_path()) +
                             " is not a clean absolute path");
    }
    std::string access = d.permissions().empty() ? "rwm" : d.permissions();
    for (size_t k = 0; k < access.size(); ++k) {
      if ((access[k] != 'r' && access[k] != 'w' && access[k] != 'm') ||
          access.find(access[k]) != k) {
        return InvalidArgument(who + ": " + at + ".permissions " +
                               QuoteForMessage(d.permissions()) + " is not a subset of \"rwm\"");
      }
    }
    struct stat st;
    if (stat(d.host_path().c_str(), &st) != 0) {
      int err = errno;
      if (err == ENOENT || err == ENOTDIR) {
        return InvalidArgument(who + ": " + at + ".host_path " + QuoteForMessage(d.host_path()) +
                               " does not exist");
      }
      return ErrnoError(who + ": " + at + ".host_path " + QuoteForMessage(d.host_path()), err);
    }
    if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode)) {
      return InvalidArgument(who + ": " + at + ".host_path " + QuoteForMessage(d.host_path()) +
                             " is not a device node");
    }
    devices[d.container_path()] = DeviceEntry(d.container_path(), st);
    if (!privileged) plan.cgroup_rules.push_back(AllowRule(st, access));
  }
  for (auto& [path, entry] : devices) plan.devices.push_back(std::move(entry));
  return plan;
}

}  // namespace berth::oci::internal
