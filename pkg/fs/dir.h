// Directories: create with parents, list, fsync, remove recursively without
// ever leaving the tree through a symlink or a mount.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

#include "pkg/base/status.h"
#include "pkg/fs/remove_tree.h"

namespace berth {

// Creates `path` and any missing parents with `mode` (filtered by the umask,
// as mkdir(2) does). An existing directory, or symlink to one, is fine; an
// existing non-directory is FailedPrecondition.
Status MkdirAll(std::string_view path, mode_t mode = 0755);

// The names of the entries in `dir`, without "." and "..", sorted (readdir's
// order is the filesystem's whim; callers and their logs get a stable one).
// A missing directory is NotFound; every error names `dir` and the cause.
Result<std::vector<std::string>> ListDir(std::string_view dir);

// ListDir for a caller to whom a directory it cannot read holds nothing (a
// scan for leftovers, say): the names, or none.
std::vector<std::string> ListDirOrEmpty(std::string_view dir);

// fsync(2) of the directory `dir`, so a create, rename or unlink inside it
// survives a crash.
Status FsyncDir(std::string_view dir);

// Removes `path` and everything below it. A missing path is success. Symlinks
// are removed, never followed (a symlink planted in a container's tree cannot
// steer the removal outside it). With the default options a directory that is
// a mount point (of any kind, bind mounts included) is not entered: the call
// fails with FailedPrecondition naming it, so unmount first
// (UnmountRecursive).
Status RemoveAll(std::string_view path, const RemoveTreeOptions& options = {});

}  // namespace berth
