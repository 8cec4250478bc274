// HostCgroups: what the node's cgroup setup offers containers, probed once at
// start-up so that every spec asks the OCI runtime only for what it can set.
//
// runc and crun refuse a limit for a controller that has no hierarchy ("cannot
// set hugetlb limit: container could not join or create cgroup"), and on a
// v1 or hybrid node they refuse `unified` altogether. Real nodes differ
// (hugetlb, net_cls or pids missing; swap accounting off; pure v2), so berth
// looks instead of assuming.
#pragma once

#include <set>
#include <string>
#include <string_view>

#include "pkg/fs/mountinfo.h"

namespace berth::cgroups {

enum class Mode {
  kV1,      // only v1 hierarchies
  kHybrid,  // v1 hierarchies, and a v2 one beside them that holds no container limits
  kV2,      // the unified hierarchy at the cgroup root
};

struct HostCgroups {
  Mode mode = Mode::kV1;
  // Controllers a container cgroup can use: the v1 hierarchies that are
  // mounted (kV1, kHybrid), or the root's cgroup.controllers (kV2).
  std::set<std::string> controllers;
  // Whether memory+swap limits can be set (v1 memory.memsw.*, v2 memory.swap.max).
  bool swap_accounting = false;
  // The v1 memory hierarchy's mount point, or the v2 root ("" = none).
  std::string memory_root;

  bool Has(std::string_view controller) const {
    return controllers.contains(std::string(controller));
  }
  // "v1", "hybrid" or "v2".
  std::string ModeName() const;
};

// From a parsed mountinfo. Files the probe reads (cgroup.controllers,
// memory.memsw.limit_in_bytes, memory.swap.max) are looked up under
// `fs_prefix` + their mount point, so tests can hand a fixture tree.
HostCgroups ProbeHostCgroups(const std::vector<MountInfo>& mounts,
                             const std::string& fs_prefix = "");

// The live node (/proc/self/mountinfo). A node whose mountinfo cannot be read
// reports v1 with no controllers, which makes every spec drop its limits
// (logged) rather than fail every container.
HostCgroups ProbeHostCgroups();

}  // namespace berth::cgroups
