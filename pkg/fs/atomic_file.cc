#include "pkg/fs/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "pkg/fs/atomic_write_name.h"
#include "pkg/fs/scoped_fd.h"

namespace berth {
namespace {

Status WriteAll(int fd, std::string_view content, const std::string& what) {
  while (!content.empty()) {
    ssize_t n = ::write(fd, content.data(), content.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(what, errno);
    }
    content.remove_prefix(static_cast<size_t>(n));
  }
  return OkStatus();
}

}  // namespace

Status WriteFileAtomic(std::string_view path_view, std::string_view content, mode_t mode) {
  const std::string path(path_view);
  BERTH_ASSIGN_OR_RETURN(const AtomicWritePath where, SplitAtomicWritePath(path));
  const std::string& dir = where.dir;
  const std::string& base = where.base;

  // 1. The directory, so the temp file, the rename and the fsync all act on
  //    the same directory even if the path is renamed meanwhile.
  ScopedFd dirfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dirfd) return ErrnoError("atomic write of " + path + ": open directory " + dir, errno);

  // 2. A fresh temp file; O_EXCL so we never write into someone else's file.
  std::string tmp;
  ScopedFd fd;
  for (int attempt = 0; attempt < 8 && !fd; ++attempt) {
    tmp = AtomicWriteTempName(base);
    fd.reset(::openat(dirfd.get(), tmp.c_str(),
                      O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode & 07777));
    if (!fd && errno != EEXIST) break;
  }
  if (!fd) return ErrnoError("atomic write of " + path + ": create temp file in " + dir, errno);

  // From here on, any failure removes the temp file.
  auto fail = [&](Status s) {
    fd.reset();
    ::unlinkat(dirfd.get(), tmp.c_str(), 0);
    return s;
  };

  // 3. Exact mode (creation masks it with the umask), content, then fsync so
  //    the data is on disk before the rename makes it visible.
  if (::fchmod(fd.get(), mode & 07777) != 0) {
    return fail(ErrnoError("atomic write of " + path + ": chmod temp file", errno));
  }
  if (Status s = WriteAll(fd.get(), content, "atomic write of " + path + ": write"); !s.ok()) {
    return fail(s);
  }
  if (::fsync(fd.get()) != 0) return fail(ErrnoError("atomic write of " + path + ": fsync", errno));
  if (Status s = fd.Close(); !s.ok()) return fail(s.WithContext("atomic write of " + path));

  // 4. The atomic switch.
  if (::renameat(dirfd.get(), tmp.c_str(), dirfd.get(), base.c_str()) != 0) {
    return fail(ErrnoError("atomic write of " + path + ": rename temp file over it", errno));
  }

  // 5. Persist the rename itself.
  if (::fsync(dirfd.get()) != 0) {
    return ErrnoError("atomic write of " + path + ": fsync directory " + dir, errno);
  }
  return OkStatus();
}

Status WriteFileTransient(std::string_view path_view, std::string_view content, mode_t mode) {
  const std::string path(path_view);
  ScopedFd fd(
      ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode & 07777));
  if (!fd) return ErrnoError("write " + path + ": create", errno);
  Status s = ::fchmod(fd.get(), mode & 07777) == 0 ? WriteAll(fd.get(), content, "write " + path)
                                                   : ErrnoError("write " + path + ": chmod", errno);
  if (s.ok()) s = fd.Close();
  if (!s.ok()) ::unlink(path.c_str());
  return s;
}

Status CreateEmptyFile(std::string_view path_view, mode_t mode) {
  const std::string path(path_view);
  ScopedFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode));
  if (!fd) return ErrnoError("create " + path, errno);
  return OkStatus();
}

Result<std::string> ReadFile(std::string_view path_view, size_t max_bytes,
                             FinalSymlink final_symlink) {
  const std::string path(path_view);
  const int nofollow = final_symlink == FinalSymlink::kRefuse ? O_NOFOLLOW : 0;
  ScopedFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | nofollow));
  if (!fd) {
    int err = errno;
    if (err == ENOENT) return NotFound("read " + path + ": no such file");
    return ErrnoError("read " + path + ": open", err);
  }
  std::string out;
  char buf[64 * 1024];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("read " + path, errno);
    }
    if (n == 0) break;
    if (static_cast<size_t>(n) > max_bytes - out.size()) {
      return ResourceExhausted("read " + path + ": larger than the limit of " +
                               std::to_string(max_bytes) + " bytes");
    }
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

}  // namespace berth
