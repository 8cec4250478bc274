// Reading a small file of a container's root filesystem (its /etc/passwd,
// /etc/group) as the container would see it: every symlink, absolute or
// relative, and every ".." is resolved with the rootfs as "/", so an image
// cannot point berth at a host file.
#pragma once

#include <cstddef>
#include <string>

#include "pkg/base/status.h"

namespace berth::oci {

// Reads `path` (absolute, as seen inside the rootfs) from `rootfs`.
// NotFound when it (or a parent) does not exist; InvalidArgument naming its
// type when it is not a regular file (a FIFO or device node is found without
// being opened: no blocking, no driver open), or when it is larger than
// `max_size`. `use_openat2` = false
// forces the manual per-component walk used where openat2(2) is unavailable.
Result<std::string> ReadFileInRoot(const std::string& rootfs, const std::string& path,
                                   size_t max_size, bool use_openat2 = true);

}  // namespace berth::oci
