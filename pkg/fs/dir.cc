#include "pkg/fs/dir.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <string>

#include "pkg/fs/portable_fs.h"

namespace berth {

Status MkdirAll(std::string_view path_view, mode_t mode) {
  const std::string path(path_view);
  if (path.empty()) return InvalidArgument("mkdir: empty path");
  // Create each prefix ending just before a '/', then the whole path.
  for (size_t pos = 1; pos <= path.size(); ++pos) {
    if (pos != path.size() && path[pos] != '/') continue;
    if (path[pos - 1] == '/') continue;  // "a//b" or a trailing slash
    const std::string prefix = path.substr(0, pos);
    if (IsDrivePrefix(prefix)) continue;
    if (MakeDir(prefix.c_str(), mode) == 0) continue;
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

}  // namespace berth
