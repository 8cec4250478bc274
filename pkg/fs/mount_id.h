// Which mount a file lives on (internal to pkg/fs): the kernel's mount ID
// where statx(2) reports it (Linux 5.8+), which tells bind mounts of the same
// filesystem apart; otherwise the device number.
#pragma once

#include <cstdint>
#include <string>

#include "pkg/base/status.h"

namespace berth {

struct MountId {
  bool from_mnt_id = false;  // false: `value` is st_dev
  uint64_t value = 0;
  bool operator==(const MountId&) const = default;
};

// The mount of the open file `fd`.
Result<MountId> MountIdOf(int fd);

// IsMountPoint for kernels without STATX_ATTR_MOUNT_ROOT (before 5.8): the
// path's mount differs from its parent directory's. Declared here so tests can
// exercise it on a new kernel too.
Result<bool> IsMountPointByMountId(const std::string& path);

}  // namespace berth
