#include "pkg/image/image_fs_info.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <utility>
#include <vector>

namespace berth::image {
namespace {

// mountinfo escapes space, tab, newline and backslash as \ooo (octal).
std::string Unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      const char a = s[i + 1], b = s[i + 2], d = s[i + 3];
      if (a >= '0' && a <= '3' && b >= '0' && b <= '7' && d >= '0' && d <= '7') {
        out.push_back(static_cast<char>((a - '0') * 64 + (b - '0') * 8 + (d - '0')));
        i += 3;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

struct Walker {
  dev_t dev;
  std::set<std::pair<dev_t, ino_t>> seen;
  uint64_t bytes = 0;

  void Count(const struct stat& st) {
    if (!seen.emplace(st.st_dev, st.st_ino).second) return;
    bytes += static_cast<uint64_t>(st.st_blocks) * 512;
  }

  // Iterative over an explicit stack of open directories would bound fds;
  // depth here follows the image's tree, so recursion with one fd per level.
  Status Walk(int dirfd, const std::string& what) {
    DIR* d = ::fdopendir(dirfd);
    if (d == nullptr) {
      ::close(dirfd);
      return ErrnoError("read directory " + what, errno);
    }
    std::vector<std::string> subdirs;
    while (struct dirent* de = ::readdir(d)) {
      std::string_view n = de->d_name;
      if (n == "." || n == "..") continue;
      struct stat st;
      if (::fstatat(::dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
      if (st.st_dev != dev) continue;  // another filesystem mounted inside
      Count(st);
      if (S_ISDIR(st.st_mode)) subdirs.emplace_back(n);
    }
    Status result;
    for (const auto& s : subdirs) {
      int fd = ::openat(::dirfd(d), s.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0) continue;  // removed meanwhile
      result = Walk(fd, what + "/" + s);
      if (!result.ok()) break;
    }
    ::closedir(d);
    return result;
  }
};

}  // namespace

Result<std::string> MountPointOf(const std::string& path) {
  char real[PATH_MAX];
  if (::realpath(path.c_str(), real) == nullptr) return ErrnoError("resolve " + path, errno);
  struct stat st;
  if (::stat(real, &st) != 0) return ErrnoError("stat " + path, errno);
  std::ifstream in("/proc/self/mountinfo");
  if (!in) return Internal("cannot read /proc/self/mountinfo");
  const std::string target = real;
  std::string best;
  std::string line;
  while (std::getline(in, line)) {
    // "<id> <parent> <major>:<minor> <root> <mount point> ..."
    std::istringstream fields(line);
    std::string id, parent, devno, root, mnt;
    if (!(fields >> id >> parent >> devno >> root >> mnt)) continue;
    mnt = Unescape(mnt);
    unsigned major = 0, minor = 0;
    if (std::sscanf(devno.c_str(), "%u:%u", &major, &minor) != 2) continue;
    if (makedev(major, minor) != st.st_dev) continue;
    const bool covers =
        mnt == "/" || target == mnt || (target.starts_with(mnt) && target[mnt.size()] == '/');
    // The longest covering mount point of this device is the one holding the path
    // (later lines win ties: a later mount hides an earlier one on the same point).
    if (covers && mnt.size() >= best.size()) best = mnt;
  }
  if (best.empty()) return NotFound("no mount found for " + path);
  return best;
}

Result<FsUsage> ImageFsUsage(const std::string& dir) {
  FsUsage usage;
  usage.timestamp_nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
  BERTH_ASSIGN_OR_RETURN(usage.mountpoint, MountPointOf(dir));
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoError("open " + dir, errno);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return ErrnoError("stat " + dir, err);
  }
  Walker w{st.st_dev, {}, 0};
  w.Count(st);
  BERTH_RETURN_IF_ERROR(w.Walk(fd, dir));
  usage.used_bytes = w.bytes;
  usage.inodes_used = w.seen.size();
  return usage;
}

}  // namespace berth::image
