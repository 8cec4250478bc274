// Directory trees: create with parents, remove recursively without ever
// leaving the tree through a symlink or a mount.
#pragma once

#include <sys/types.h>

#include <string_view>

#include "pkg/base/status.h"

namespace berth {

// Creates `path` and any missing parents with `mode` (filtered by the umask,
// as mkdir(2) does). An existing directory, or symlink to one, is fine; an
// existing non-directory is FailedPrecondition.
Status MkdirAll(std::string_view path, mode_t mode = 0755);

// Removes `path` and everything below it. A missing path is success. Symlinks
// are removed, never followed (a symlink planted in a container's tree cannot
// steer the removal outside it). A directory that is a mount point (of any
// kind, bind mounts included) is not entered: the call fails with
// FailedPrecondition naming it, so unmount first (UnmountRecursive).
Status RemoveAll(std::string_view path);

}  // namespace berth
