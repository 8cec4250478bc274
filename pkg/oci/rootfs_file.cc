#include "pkg/oci/rootfs_file.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <deque>
#include <vector>

#include "pkg/base/quote.h"
#include "pkg/fs/scoped_fd.h"

namespace berth::oci {
namespace {

// Linux's own limit on symlinks followed in one lookup.
constexpr int kMaxSymlinks = 40;

std::deque<std::string> SplitPath(const std::string& path) {
  std::deque<std::string> out;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    if (end > start) out.emplace_back(path.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

std::string FileTypeName(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISLNK(mode)) return "a symlink";
  return "a special file";
}

Status NotFoundIn(const std::string& rootfs, const std::string& path) {
  return NotFound(QuoteForMessage(path) + " does not exist in rootfs " + QuoteForMessage(rootfs));
}

// openat2 with RESOLVE_IN_ROOT: the kernel resolves as if rootfd were "/".
// Returns -errno on failure.
int OpenWithOpenat2(int rootfd, const std::string& path) {
  struct open_how how = {};
  how.flags = O_PATH | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV;
  long fd = syscall(SYS_openat2, rootfd, path.c_str(), &how, sizeof(how));
  if (fd < 0) return -errno;
  return static_cast<int>(fd);
}

// The same resolution done by hand, one component at a time with O_NOFOLLOW:
// a symlink's target is spliced into the remaining components (an absolute
// one restarting at the rootfs) and ".." never climbs above it.
int OpenByWalking(int rootfd, const std::string& path) {
  std::vector<ScopedFd> stack;  // stack.back() is the current directory
  int dup = fcntl(rootfd, F_DUPFD_CLOEXEC, 0);
  if (dup < 0) return -errno;
  stack.emplace_back(dup);
  std::deque<std::string> rest = SplitPath(path);
  int links = 0;
  while (!rest.empty()) {
    std::string comp = std::move(rest.front());
    rest.pop_front();
    if (comp == ".") continue;
    if (comp == "..") {
      if (stack.size() > 1) stack.pop_back();
      continue;
    }
    int fd = openat(stack.back().get(), comp.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return -errno;
    ScopedFd node(fd);
    struct stat st;
    if (fstat(node.get(), &st) != 0) return -errno;
    if (S_ISLNK(st.st_mode)) {
      if (++links > kMaxSymlinks) return -ELOOP;
      char buf[4096];
      ssize_t n = readlinkat(node.get(), "", buf, sizeof(buf));
      if (n < 0) return -errno;
      if (static_cast<size_t>(n) >= sizeof(buf)) return -ENAMETOOLONG;
      std::string target(buf, static_cast<size_t>(n));
      std::deque<std::string> parts = SplitPath(target);
      rest.insert(rest.begin(), parts.begin(), parts.end());
      if (!target.empty() && target[0] == '/') stack.resize(1);
      continue;
    }
    if (rest.empty()) return node.release();  // the last component, not a symlink
    if (!S_ISDIR(st.st_mode)) return -ENOTDIR;
    stack.push_back(std::move(node));
  }
  // The path named the root itself (or resolved to it).
  return -EISDIR;
}

}  // namespace

Result<std::string> ReadFileInRoot(const std::string& rootfs, const std::string& path,
                                   size_t max_size, bool use_openat2) {
  int rfd = open(rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rfd < 0) return ErrnoError("open rootfs " + QuoteForMessage(rootfs), errno);
  ScopedFd root(rfd);
  int fd = -ENOSYS;
  if (use_openat2) fd = OpenWithOpenat2(root.get(), path);
  // ENOSYS: an old kernel; EPERM: a seccomp filter that forbids openat2;
  // EXDEV: a mount inside the rootfs, which the walk handles.
  if (fd == -ENOSYS || fd == -EPERM || fd == -EXDEV) fd = OpenByWalking(root.get(), path);
  if (fd == -ENOENT || fd == -ENOTDIR) return NotFoundIn(rootfs, path);
  if (fd == -ELOOP) {
    return InvalidArgument(QuoteForMessage(path) + " in the image is a symlink loop");
  }
  if (fd < 0) {
    return ErrnoError("open " + QuoteForMessage(path) + " in rootfs " + QuoteForMessage(rootfs),
                      -fd);
  }
  // Both ways give an O_PATH descriptor: the file is found but not opened, so
  // a device node or FIFO planted there is never opened (no driver open, no
  // blocking). Only a regular file is then opened for reading, through the
  // descriptor itself, which names the very inode just checked.
  ScopedFd found(fd);
  struct stat st;
  if (fstat(found.get(), &st) != 0) return ErrnoError("stat " + QuoteForMessage(path), errno);
  if (!S_ISREG(st.st_mode)) {
    return InvalidArgument(QuoteForMessage(path) + " in the image is " + FileTypeName(st.st_mode) +
                           ", not a regular file");
  }
  const std::string reopen = "/proc/self/fd/" + std::to_string(found.get());
  ScopedFd file(open(reopen.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
  if (!file.valid()) return ErrnoError("open " + QuoteForMessage(path), errno);
  if (static_cast<uint64_t>(st.st_size) > max_size) {
    return InvalidArgument(QuoteForMessage(path) + " in the image is larger than " +
                           std::to_string(max_size) + " bytes");
  }
  std::string out;
  char buf[16384];
  for (;;) {
    ssize_t n = read(file.get(), buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError("read " + QuoteForMessage(path), errno);
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
    // The file may grow after the fstat; the cap holds regardless.
    if (out.size() > max_size) {
      return InvalidArgument(QuoteForMessage(path) + " in the image is larger than " +
                             std::to_string(max_size) + " bytes");
    }
  }
  return out;
}

}  // namespace berth::oci
