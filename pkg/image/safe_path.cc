#include "pkg/image/safe_path.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>

namespace berth::image {

std::string QuoteEntry(std::string_view s) {
  // Entry names are hostile: cap their length and hide control characters in messages.
  std::string out = "\"";
  for (char c : s.substr(0, 256)) out.push_back(static_cast<unsigned char>(c) < 0x20 ? '?' : c);
  if (s.size() > 256) out += "...";
  return out + "\"";
}

namespace {
std::string Quote(std::string_view s) {
  return QuoteEntry(s);
}
}  // namespace

Result<std::vector<std::string>> SplitEntryPath(std::string_view name, bool allow_root) {
  if (name.starts_with('/')) {
    return InvalidArgument("layer entry " + Quote(name) + " has an absolute path");
  }
  std::vector<std::string> comps;
  size_t pos = 0;
  while (pos <= name.size()) {
    size_t slash = name.find('/', pos);
    if (slash == std::string_view::npos) slash = name.size();
    std::string_view c = name.substr(pos, slash - pos);
    pos = slash + 1;
    if (c.empty() || c == ".") continue;
    if (c == "..") {
      return InvalidArgument("layer entry " + Quote(name) + " has a \"..\" component");
    }
    comps.emplace_back(c);
  }
  if (comps.empty() && !allow_root) {
    return InvalidArgument("layer entry " + Quote(name) + " names the layer root");
  }
  return comps;
}

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
        return ErrnoError("layer entry " + Quote(entry) + ": mkdir " + comps[i], errno);
      }
      fd = ::openat(cur.get(), c, kFlags);
    }
    if (fd < 0) {
      if (errno == ELOOP || errno == ENOTDIR) {
        return InvalidArgument("layer entry " + Quote(entry) + " passes through " +
                               Quote(comps[i]) + ", which is a symlink or not a directory");
      }
      if (errno == ENOENT) {
        return InvalidArgument("layer entry " + Quote(entry) + " refers to a missing directory " +
                               Quote(comps[i]));
      }
      return ErrnoError("layer entry " + Quote(entry) + ": open " + comps[i], errno);
    }
    cur.reset(fd);
  }
  return cur;
}

}  // namespace berth::image
