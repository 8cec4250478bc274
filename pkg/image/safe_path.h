// Resolving tar entry names beneath a layer directory without ever leaving it.
//
// Every component is opened with openat(O_NOFOLLOW) relative to the previous
// one, so neither "..", an absolute name, nor a symlink (whether created by an
// earlier entry or already present) can take a write outside the layer root.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "pkg/base/status.h"
#include "pkg/fs/scoped_fd.h"

namespace berth::image {

// `s` quoted for an error message: capped length, control characters hidden
// (entry names and link targets come from the image and are hostile).
std::string QuoteEntry(std::string_view s);

// Splits an entry name into components. "." and empty components are dropped
// ("./a//b/" → {a, b}); an absolute name, a ".." component, or a name with no
// component (the root itself) is InvalidArgument, unless `allow_root` accepts
// the last case (returns an empty vector).
Result<std::vector<std::string>> SplitEntryPath(std::string_view name, bool allow_root);

// Opens (O_RDONLY|O_DIRECTORY) the directory named by `comps[0, count)` under
// `rootfd`. With `create`, missing directories are made (mode 0755). A
// component that is a symlink or not a directory is InvalidArgument naming
// `entry`. count == 0 reopens the root itself. Linux-only (dir_beneath.cc),
// like the unpacker that uses it.
Result<ScopedFd> OpenDirBeneath(int rootfd, const std::vector<std::string>& comps, size_t count,
                                bool create, std::string_view entry);

}  // namespace berth::image
