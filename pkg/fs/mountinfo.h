// /proc/self/mountinfo: the kernel's list of the mounts this process sees.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "pkg/base/status.h"

namespace berth {

struct MountInfo {
  int id = 0;
  int parent_id = 0;
  std::string root;         // the path inside the mounted filesystem
  std::string mount_point;  // where it is mounted, octal escapes decoded
  std::string fstype;
  std::string source;
  std::string super_options;  // per-superblock options ("rw,cpu,cpuacct" for cgroup v1)
};

// Parses mountinfo text (proc(5) format); a malformed line is InvalidArgument
// naming its number.
Result<std::vector<MountInfo>> ParseMountInfo(std::string_view text);

// Reads and parses /proc/self/mountinfo.
Result<std::vector<MountInfo>> ReadMountInfo();

}  // namespace berth
