#include "pkg/fs/dir.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <vector>

#include "pkg/fs/mount_id.h"
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

namespace {

// Removes `name` inside the directory `dirfd` (whose mount is `parent_mount`);
// `display` is the full path for messages.
Status RemoveAt(int dirfd, const std::string& name, const MountId& parent_mount,
                const std::string& display) {
  // Try the common case first: anything that is not a directory.
  if (::unlinkat(dirfd, name.c_str(), 0) == 0 || errno == ENOENT) return OkStatus();
  if (errno != EISDIR) return ErrnoError("remove " + display, errno);

  // O_NOFOLLOW: if the directory was swapped for a symlink since the unlink
  // attempt, this fails instead of following it.
  ScopedFd fd(::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT) return OkStatus();
    return ErrnoError("remove " + display + ": open directory", errno);
  }
  Result<MountId> mount = MountIdOf(fd.get());
  if (!mount.ok()) return mount.status().WithContext("remove " + display);
  if (*mount != parent_mount) {
    return FailedPrecondition("remove " + display + ": it is a mount point; unmount it first");
  }

  // List first, then remove: removing while a readdir stream is open is
  // allowed but may skip or repeat entries.
  std::vector<std::string> entries;
  {
    int dup_fd = ::fcntl(fd.get(), F_DUPFD_CLOEXEC, 0);
    if (dup_fd < 0) return ErrnoError("remove " + display + ": dup", errno);
    DIR* dir = ::fdopendir(dup_fd);
    if (dir == nullptr) {
      int err = errno;
      ::close(dup_fd);
      return ErrnoError("remove " + display + ": opendir", err);
    }
    errno = 0;
    while (struct dirent* ent = ::readdir(dir)) {
      std::string entry = ent->d_name;
      if (entry != "." && entry != "..") entries.push_back(std::move(entry));
      errno = 0;
    }
    int err = errno;
    ::closedir(dir);
    if (err != 0) return ErrnoError("remove " + display + ": readdir", err);
  }
  for (const std::string& entry : entries) {
    BERTH_RETURN_IF_ERROR(RemoveAt(fd.get(), entry, *mount, display + "/" + entry));
  }
  fd.reset();
  if (::unlinkat(dirfd, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) {
    return ErrnoError("remove " + display, errno);
  }
  return OkStatus();
}

}  // namespace

Status RemoveAll(std::string_view path_view) {
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
  Result<MountId> parent_mount = MountIdOf(parent_fd.get());
  if (!parent_mount.ok()) return parent_mount.status().WithContext("remove " + path);
  return RemoveAt(parent_fd.get(), base, *parent_mount, path);
}

}  // namespace berth
