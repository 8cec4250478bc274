// OpenDirBeneath (safe_path.h): the descriptor-relative walk of the Linux
// layer unpacker, one openat(O_NOFOLLOW) per component. Linux-only like the
// unpacker itself (layer_unpack_windows.cc says why).
#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>

#include "pkg/image/safe_path.h"

namespace berth::image {

Result<ScopedFd> OpenDirBeneath(int rootfd, const std::vector<std::string>& comps, size_t count,
                                bool create, std::string_view entry) {
  constexpr int kFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
  ScopedFd cur(::openat(rootfd, ".", kFlags));
  if (!cur.valid()) return ErrnoError("open layer root", errno);
  for (size_t i = 0; i < count; ++i) {
    const char* c = comps[i].c_str();
    int fd = ::openat(cur.get(), c, kFlags);
    if (fd < 0 && errno == ENOENT && create) {
      if (::mkdirat(cur.get(), c, 0755) != 0 && errno != EEXIST) {
        return ErrnoError("layer entry " + QuoteEntry(entry) + ": mkdir " + comps[i], errno);
      }
      fd = ::openat(cur.get(), c, kFlags);
    }
    if (fd < 0) {
      if (errno == ELOOP || errno == ENOTDIR) {
        return InvalidArgument("layer entry " + QuoteEntry(entry) + " passes through " +
                               QuoteEntry(comps[i]) + ", which is a symlink or not a directory");
      }
      if (errno == ENOENT) {
        return InvalidArgument("layer entry " + QuoteEntry(entry) +
                               " refers to a missing directory " + QuoteEntry(comps[i]));
      }
      return ErrnoError("layer entry " + QuoteEntry(entry) + ": open " + comps[i], errno);
    }
    cur.reset(fd);
  }
  return cur;
}

}  // namespace berth::image
