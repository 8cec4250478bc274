#include "pkg/fs/dir.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <string>

#include "pkg/fs/scoped_fd.h"

namespace berth {

Status MkdirAll(std::string_view path_view, mode_t mode) {
  const std::string path(path_view);
  if (path.empty()) return InvalidArgument("mkdir: empty path");
  // Create each prefix ending just before a '/', then the whole path.
  for (size_t pos = 1; pos <= path.size(); ++pos) {
    if (pos != path.size() && path[pos] != '/') continue;
    if (path[pos - 1] == '/') continue;  // "a//b" or a trailing slash
    const std::string prefix = path.substr(0, pos);
    if (::mkdir(prefix.c_str(), mode) == 0) continue;
    int err = errno;
    struct stat st;
    if (err == EEXIST && ::stat(prefix.c_str(), &st) == 0) {
      if (S_ISDIR(st.st_mode)) continue;
      return FailedPrecondition("mkdir " + path + ": " + prefix + " exists and is not a directory");
    }
    return ErrnoError("mkdir " + prefix, err);
  }
  return OkStatus();
}

Result<std::vector<std::string>> ListDir(std::string_view dir_view) {
  const std::string dir(dir_view);
  // opendir opens with O_CLOEXEC: a child spawned meanwhile inherits nothing.
  std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(dir.c_str()), ::closedir);
  if (d == nullptr) {
    const int err = errno;
    if (err == ENOENT) return NotFound("list directory " + dir + ": no such directory");
    return ErrnoError("list directory " + dir, err);
  }
  std::vector<std::string> names;
  for (;;) {
    errno = 0;  // readdir signals an error only through errno
    const struct dirent* e = ::readdir(d.get());
    if (e == nullptr) {
      if (errno != 0) return ErrnoError("list directory " + dir + ": readdir", errno);
      break;
    }
    const std::string_view name = e->d_name;
    if (name != "." && name != "..") names.emplace_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<std::string> ListDirOrEmpty(std::string_view dir) {
  Result<std::vector<std::string>> names = ListDir(dir);
  return names.ok() ? std::move(*names) : std::vector<std::string>();
}

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
