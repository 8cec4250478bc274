// Linux build of dir.h's FsyncDir and RemoveAll: descriptors, and the
// descriptor-relative walk of remove_tree.cc (windows/ has the Windows one).
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "pkg/fs/dir.h"
#include "pkg/fs/scoped_fd.h"

namespace berth {

Status FsyncDir(std::string_view dir_view) {
  const std::string dir(dir_view);
  ScopedFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return ErrnoError("open directory " + dir + " for fsync", errno);
  if (::fsync(fd.get()) != 0) return ErrnoError("fsync directory " + dir, errno);
  return OkStatus();
}

Status RemoveAll(std::string_view path_view, const RemoveTreeOptions& options) {
  std::string path(path_view);
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  if (path.empty()) return InvalidArgument("remove: empty path");
  if (path == "/") return InvalidArgument("remove: refusing to remove /");
  const size_t slash = path.rfind('/');
  const std::string parent =
      slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  const std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  if (base == "." || base == "..") {
    return InvalidArgument("remove " + path + ": must not end in . or ..");
  }

  ScopedFd parent_fd(::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!parent_fd) {
    if (errno == ENOENT) return OkStatus();
    return ErrnoError("remove " + path + ": open parent " + parent, errno);
  }
  return RemoveTreeAt(parent_fd.get(), base, path, options);
}

}  // namespace berth
