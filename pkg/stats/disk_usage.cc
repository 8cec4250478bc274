#include "pkg/stats/disk_usage.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <unordered_set>
#include <vector>

namespace berth::stats {
namespace {

// statx rather than fstatat: it also says whether an entry is the root of a
// mount, which tells a bind mount of the same filesystem apart (same st_dev).
bool StatEntry(int dirfd, const char* name, struct statx* stx) {
  constexpr unsigned kMask = STATX_TYPE | STATX_NLINK | STATX_INO | STATX_BLOCKS;
  return ::statx(dirfd, name, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT, kMask, stx) == 0;
}

bool IsMountRoot(const struct statx& stx) {
  return (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) != 0 &&
         (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT) != 0;
}

dev_t DevOf(const struct statx& stx) {
  return makedev(stx.stx_dev_major, stx.stx_dev_minor);
}

}  // namespace

struct DiskUsageWalk::Walker {
  dev_t dev = 0;
  std::vector<DIR*> open;  // the directories on the current path, innermost last
  // Inodes with several links already counted (directories cannot be hard linked).
  std::unordered_set<ino_t> linked;
  DiskUsage usage;

  ~Walker() {
    for (DIR* d : open) ::closedir(d);
  }
  void Count(const struct statx& st);
  void Enter(DIR* parent, const char* name, const struct statx& st);
};

DiskUsageWalk::DiskUsageWalk(std::unique_ptr<Walker> walker) : walker_(std::move(walker)) {}
DiskUsageWalk::~DiskUsageWalk() = default;

bool DiskUsageWalk::done() const {
  return walker_->open.empty();
}
const DiskUsage& DiskUsageWalk::usage() const {
  return walker_->usage;
}

Result<std::unique_ptr<DiskUsageWalk>> DiskUsageWalk::Begin(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return ErrnoError("open " + dir, errno);
  struct statx st;
  if (::statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &st) != 0) {
    int err = errno;
    ::close(fd);
    return ErrnoError("stat " + dir, err);
  }
  DIR* d = ::fdopendir(fd);
  if (d == nullptr) {
    int err = errno;
    ::close(fd);
    return ErrnoError("read directory " + dir, err);
  }
  auto walker = std::make_unique<Walker>();
  walker->dev = DevOf(st);
  walker->open.push_back(d);
  walker->Count(st);
  return std::unique_ptr<DiskUsageWalk>(new DiskUsageWalk(std::move(walker)));
}

void DiskUsageWalk::Walker::Count(const struct statx& st) {
  if (!S_ISDIR(st.stx_mode) && st.stx_nlink > 1 && !linked.insert(st.stx_ino).second) return;
  usage.bytes += st.stx_blocks * 512;
  ++usage.inodes;
}

void DiskUsageWalk::Walker::Enter(DIR* parent, const char* name, const struct statx& st) {
  if (open.size() >= kMaxDepth) return;
  int fd = ::openat(::dirfd(parent), name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return;  // removed (or replaced by a symlink) since the stat
  struct statx now;
  // Replaced by another directory, or covered by a mount, since the stat.
  if (::statx(fd, "", AT_EMPTY_PATH, STATX_INO, &now) != 0 || DevOf(now) != DevOf(st) ||
      now.stx_ino != st.stx_ino || IsMountRoot(now)) {
    ::close(fd);
    return;
  }
  DIR* d = ::fdopendir(fd);
  if (d == nullptr) {
    ::close(fd);
    return;
  }
  open.push_back(d);
}

size_t DiskUsageWalk::Step(size_t budget) {
  Walker& w = *walker_;
  size_t visited = 0;
  while (visited < budget && !w.open.empty()) {
    DIR* top = w.open.back();
    errno = 0;
    struct dirent* de = ::readdir(top);
    if (de == nullptr) {  // the end, or a directory removed under us: done with it
      ::closedir(top);
      w.open.pop_back();
      continue;
    }
    if (std::strcmp(de->d_name, ".") == 0 || std::strcmp(de->d_name, "..") == 0) continue;
    ++visited;
    struct statx st;
    if (!StatEntry(::dirfd(top), de->d_name, &st)) continue;
    if (DevOf(st) != w.dev || IsMountRoot(st)) continue;  // another mount: not ours
    w.Count(st);
    if (S_ISDIR(st.stx_mode)) w.Enter(top, de->d_name, st);
  }
  return visited;
}

Result<DiskUsage> MeasureDiskUsage(const std::string& dir) {
  BERTH_ASSIGN_OR_RETURN(std::unique_ptr<DiskUsageWalk> walk, DiskUsageWalk::Begin(dir));
  while (!walk->done()) walk->Step(4096);
  return walk->usage();
}

}  // namespace berth::stats
