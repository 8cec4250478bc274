#include "pkg/cgroups/host_cgroups.h"

#include <unistd.h>

#include "pkg/fs/atomic_file.h"
#include "pkg/fs/dir.h"

namespace berth::cgroups {
namespace {

bool Exists(const std::string& path) {
  return access(path.c_str(), F_OK) == 0;
}

std::set<std::string> SplitList(std::string_view s, char sep) {
  std::set<std::string> out;
  while (!s.empty()) {
    size_t end = s.find(sep);
    std::string_view item = s.substr(0, end);
    while (!item.empty() && (item.back() == '\n' || item.back() == ' ')) item.remove_suffix(1);
    if (!item.empty()) out.insert(std::string(item));
    if (end == std::string_view::npos) break;
    s.remove_prefix(end + 1);
  }
  return out;
}

// Per-superblock options of a v1 hierarchy name its controllers among
// generic flags ("rw,nosuid,cpu,cpuacct"); named hierarchies ("name=systemd")
// hold none.
constexpr std::string_view kNotControllers[] = {
    "rw",     "ro",       "nosuid",        "nodev",
    "noexec", "relatime", "noatime",       "clone_children",
    "xattr",  "noprefix", "cpuset_v2_mode"};

bool IsController(const std::string& option) {
  if (option.find('=') != std::string::npos) return false;
  for (std::string_view skip : kNotControllers) {
    if (option == skip) return false;
  }
  return true;
}

// On v2 the root has no memory.swap.max: look at any child cgroup.
bool V2SwapAccounting(const std::string& root) {
  // Only a child cgroup (a directory) can hold the file, so no type check.
  for (const std::string& name : ListDirOrEmpty(root)) {
    if (name.starts_with(".")) continue;
    if (Exists(root + "/" + name + "/memory.swap.max")) return true;
  }
  return false;
}

}  // namespace

std::string HostCgroups::ModeName() const {
  switch (mode) {
    case Mode::kV1:
      return "v1";
    case Mode::kHybrid:
      return "hybrid";
    case Mode::kV2:
      return "v2";
  }
  return "unknown";
}

HostCgroups ProbeHostCgroups(const std::vector<MountInfo>& mounts, const std::string& fs_prefix) {
  HostCgroups h;
  std::string v2_root;
  bool any_v1 = false;
  for (const MountInfo& m : mounts) {
    if (m.fstype == "cgroup2") {
      // Several cgroup2 mounts (a bind into a container) are one hierarchy.
      if (v2_root.empty() || m.mount_point == "/sys/fs/cgroup") v2_root = m.mount_point;
      continue;
    }
    if (m.fstype != "cgroup") continue;
    for (const std::string& option : SplitList(m.super_options, ',')) {
      if (!IsController(option)) continue;
      any_v1 = true;
      h.controllers.insert(option);
      if (option == "memory" && h.memory_root.empty()) h.memory_root = m.mount_point;
    }
  }
  if (any_v1) {
    h.mode = v2_root.empty() ? Mode::kV1 : Mode::kHybrid;
    h.swap_accounting = !h.memory_root.empty() &&
                        Exists(fs_prefix + h.memory_root + "/memory.memsw.limit_in_bytes");
    return h;
  }
  if (v2_root.empty()) return h;  // no cgroups at all: v1 with nothing
  // Runtimes run v2 only when it sits at the cgroup root; a v2 hierarchy
  // elsewhere beside controller-less v1 mounts offers containers nothing.
  if (v2_root != "/sys/fs/cgroup") {
    h.mode = Mode::kHybrid;
    return h;
  }
  h.mode = Mode::kV2;
  Result<std::string> controllers = ReadFile(fs_prefix + v2_root + "/cgroup.controllers");
  if (controllers.ok()) h.controllers = SplitList(*controllers, ' ');
  if (h.Has("memory")) {
    h.memory_root = v2_root;
    h.swap_accounting = V2SwapAccounting(fs_prefix + v2_root);
  }
  return h;
}

}  // namespace berth::cgroups
