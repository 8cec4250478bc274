// Pod-level cgroup resources: where a pod's cgroup lives under the cgroupfs
// mount and how CPU and memory limits are written into it, on cgroup v1
// (one hierarchy per controller, also the "hybrid" layout) and on v2.
//
// Only what UpdatePodSandboxResources needs: CPU weight/shares, CFS quota and
// period, and the memory limit. The pod cgroup must already exist (the kubelet
// or the runtime made it); nothing here creates or removes cgroups.
#pragma once

#include <cstdint>
#include <string>

#include "pkg/base/status.h"

namespace berth::cgroups {

enum class Version { kV1, kV2 };

// Where cgroupfs is mounted and how. Tests point `root` at a temporary tree.
struct Layout {
  std::string root = "/sys/fs/cgroup";
  Version version = Version::kV1;
};

// Looks at /sys/fs/cgroup: cgroup2 mounted there is v2 ("unified"); anything
// else (v1, or hybrid with v2 only at /sys/fs/cgroup/unified) is v1, since
// the CPU and memory controllers then live on v1 hierarchies.
Result<Layout> DetectLayout();

// Pod limits. 0 means "leave as is" for every field; cpu_quota -1 means no
// quota (unlimited).
struct Resources {
  int64_t cpu_shares = 0;
  int64_t cpu_quota = 0;
  int64_t cpu_period = 0;
  int64_t memory_limit_bytes = 0;
};

// The cgroup path (relative to a hierarchy root, starting with '/') of a pod
// whose parent is `parent`: a clean absolute path for the cgroupfs driver, a
// "<name>.slice" for the systemd driver (expanded the systemd way:
// "a-b-c.slice" lives at /a.slice/a-b.slice/a-b-c.slice). InvalidArgument
// naming the parent when it is neither.
Result<std::string> PodCgroupPath(const std::string& parent, bool systemd);

// Absolute, with no empty, "." or ".." components: such a path joined under
// the cgroupfs root cannot leave it.
bool IsCleanCgroupPath(const std::string& path);

// cgroup v1 cpu.shares (2..262144) to cgroup v2 cpu.weight (1..10000).
int64_t SharesToWeight(int64_t shares);

// Writes `r` into the cgroup at `path` (from PodCgroupPath). FailedPrecondition
// when the cgroup does not exist; the error names the file and the errno
// otherwise (a memory limit below current usage is refused by the kernel).
Status ApplyResources(const Layout& layout, const std::string& path, const Resources& r);

}  // namespace berth::cgroups
