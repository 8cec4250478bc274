#include "pkg/image/fs_util.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "pkg/fs/remove_tree.h"

namespace berth::image::internal {
namespace {

using Fd = UniqueFd;

std::string DirOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

void UniqueFd::reset(int fd) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

Status RemoveTreeAt(int dirfd, const std::string& name, const std::string& what) {
  // An image's 0555 directories are made writable to be emptied; layer trees
  // hold no mounts, so the walk need not stop at one.
  RemoveTreeOptions options;
  options.make_writable = true;
  options.stay_on_mount = false;
  return berth::RemoveTreeAt(dirfd, name, what, options);
}

Status FsyncDir(const std::string& dir) {
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) return ErrnoError("open directory " + dir + " for fsync", errno);
  if (::fsync(fd.get()) != 0) return ErrnoError("fsync directory " + dir, errno);
  return OkStatus();
}

Status WriteFileAtomic(const std::string& path, std::string_view content, mode_t mode) {
  const std::string tmp = path + ".tmp-" + RandomName(12);
  {
    Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode));
    if (fd.get() < 0) return ErrnoError("create " + tmp, errno);
    auto fail = [&](const char* what) {
      Status s = ErrnoError(std::string(what) + " " + tmp, errno);
      ::unlink(tmp.c_str());
      return s;
    };
    if (::fchmod(fd.get(), mode) != 0) return fail("chmod");
    std::string_view rest = content;
    while (!rest.empty()) {
      ssize_t n = ::write(fd.get(), rest.data(), rest.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return fail("write");
      rest.remove_prefix(static_cast<size_t>(n));
    }
    if (::fsync(fd.get()) != 0) return fail("fsync");
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    Status s = ErrnoError("rename " + tmp + " to " + path, errno);
    ::unlink(tmp.c_str());
    return s;
  }
  return FsyncDir(DirOf(path));
}

Result<std::string> ReadSmallFile(const std::string& path, size_t max_bytes) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) return NotFound("file " + path + " does not exist");
    return ErrnoError("open " + path, errno);
  }
  std::string out;
  char buf[16384];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError("read " + path, errno);
    if (n == 0) break;
    if (out.size() + static_cast<size_t>(n) > max_bytes) {
      return ResourceExhausted("file " + path + " is larger than " + std::to_string(max_bytes) +
                               " bytes");
    }
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

Status RemoveTree(const std::string& path) {
  return RemoveTreeAt(AT_FDCWD, path, path);
}

std::string RandomName(size_t n, bool upper) {
  static constexpr char kLower[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  static constexpr char kUpper[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  const char* alphabet = upper ? kUpper : kLower;
  std::string out;
  std::vector<unsigned char> bytes(n);
  size_t got = 0;
  while (got < n) {
    ssize_t r = ::getrandom(bytes.data() + got, n - got, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) std::abort();  // no entropy source at all: nothing sane to do
    got += static_cast<size_t>(r);
  }
  for (unsigned char b : bytes) out.push_back(alphabet[b % 36]);
  return out;
}

}  // namespace berth::image::internal
