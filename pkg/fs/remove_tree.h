// Removal of a directory tree of any depth with a bounded number of open
// file descriptors and bounded memory: a container can build a tree
// 100,000 directories deep, and a walk that recursed (or kept a descriptor
// or a path per level) would overflow the stack, run out of descriptors, or
// grow quadratic path strings, at every removal and at every restore.
#pragma once

#include <string>

#include "pkg/base/status.h"

namespace berth {

struct RemoveTreeOptions {
  // Refuse to enter a directory on another mount than `dirfd`'s (the call
  // fails with FailedPrecondition naming it): a bind mount left in a tree must
  // not have its source emptied.
  bool stay_on_mount = true;
  // chmod every directory 0700 before emptying it: an image's 0555
  // directories cannot be emptied otherwise.
  bool make_writable = false;
};

// For trees berth unpacked itself from image layers: their 0555 directories
// are made writable to be emptied, and they hold no mounts to stop at.
inline constexpr RemoveTreeOptions kUnpackedTreeRemoval{.stay_on_mount = false,
                                                        .make_writable = true};

// Linux only (descriptor-relative; Windows' RemoveAll walks by path, see
// windows/dir_windows.cc).
// Removes `name` inside the directory `dirfd` (AT_FDCWD for the working
// directory) and, when it is a directory, everything below it. Symlinks are
// removed, never followed. A missing `name` is success. `display` names it in
// errors (its full path, say).
//
// At most kRemoveTreeMaxOpenDirs directories are open at once. A directory
// deeper than that is first moved up (renamed into the top directory being
// removed, on the same filesystem) and emptied from there later.
Status RemoveTreeAt(int dirfd, const std::string& name, const std::string& display,
                    const RemoveTreeOptions& options = {});

inline constexpr size_t kRemoveTreeMaxOpenDirs = 32;

}  // namespace berth
