#include "pkg/fs/remove_tree.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <vector>

#include "pkg/fs/mount_id.h"

namespace berth {
namespace {

struct CloseDir {
  void operator()(DIR* d) const { ::closedir(d); }
};
using DirStream = std::unique_ptr<DIR, CloseDir>;

// One directory being emptied: its stream (which owns the descriptor) and its
// name in the directory above it.
struct Frame {
  DirStream dir;
  std::string name;
  // Whether this pass over the stream met any entry. A pass that met none
  // proves the directory empty; after any other the stream is rewound and read
  // once more, since an entry added during a pass (a directory moved up into
  // the top frame) may or may not be returned by it.
  bool saw_entries = false;
  int fd() const { return ::dirfd(dir.get()); }
};

class TreeRemover {
 public:
  TreeRemover(int dirfd, std::string display, const RemoveTreeOptions& options)
      : parent_fd_(dirfd), display_(std::move(display)), options_(options) {}

  Status Run(const std::string& name) {
    Result<MountId> mount = MountIdOf(parent_fd_);
    if (!mount.ok()) return mount.status().WithContext("remove " + display_);
    mount_ = *mount;
    Result<DirStream> top = OpenDir(parent_fd_, name, display_);
    if (!top.ok()) return top.status();
    if (*top == nullptr) return OkStatus();  // gone meanwhile
    stack_.push_back(Frame{std::move(*top), name});
    while (!stack_.empty()) BERTH_RETURN_IF_ERROR(Step());
    return OkStatus();
  }

 private:
  // Handles the next entry of the deepest open directory, or that directory
  // itself once it is empty.
  Status Step() {
    Frame& f = stack_.back();
    errno = 0;
    struct dirent* ent = ::readdir(f.dir.get());
    if (ent == nullptr) {
      if (errno != 0) return ErrnoError("remove " + Where() + ": readdir", errno);
      if (f.saw_entries) {
        f.saw_entries = false;
        ::rewinddir(f.dir.get());
        return OkStatus();
      }
      return RemoveEmptyTop();
    }
    const std::string entry = ent->d_name;
    if (entry == "." || entry == "..") return OkStatus();
    f.saw_entries = true;
    if (::unlinkat(f.fd(), entry.c_str(), 0) == 0 || errno == ENOENT) return OkStatus();
    // EPERM: what unlink(2) of a directory gives on some filesystems.
    if (errno != EISDIR && errno != EPERM) return ErrnoError("remove " + Where(entry), errno);
    Result<DirStream> child = OpenDir(f.fd(), entry, Where(entry));
    if (!child.ok()) return child.status();
    if (*child == nullptr) return OkStatus();
    if (stack_.size() < kRemoveTreeMaxOpenDirs) {
      stack_.push_back(Frame{std::move(*child), entry});
      return OkStatus();
    }
    child->reset();
    return MoveUp(f.fd(), entry);
  }

  // Opens `name` in `dirfd` as a directory stream, checking its mount; null
  // when it vanished meanwhile.
  Result<DirStream> OpenDir(int dirfd, const std::string& name, const std::string& display) {
    // O_NOFOLLOW: a directory swapped for a symlink since the unlink attempt
    // fails here instead of being followed.
    int fd = ::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT) return DirStream();
      return ErrnoError("remove " + display + ": open directory", errno);
    }
    DirStream dir(::fdopendir(fd));
    if (dir == nullptr) {
      const int err = errno;
      ::close(fd);
      return ErrnoError("remove " + display + ": opendir", err);
    }
    if (options_.stay_on_mount) {
      Result<MountId> mount = MountIdOf(fd);
      if (!mount.ok()) return mount.status().WithContext("remove " + display);
      if (*mount != mount_) {
        return FailedPrecondition("remove " + display + ": it is a mount point; unmount it first");
      }
    }
    if (options_.make_writable) ::fchmod(fd, 0700);
    return dir;
  }

  // The deepest open directory is empty: close it and remove it.
  Status RemoveEmptyTop() {
    const std::string where = Where();
    const std::string name = std::move(stack_.back().name);
    stack_.pop_back();
    const int parent = stack_.empty() ? parent_fd_ : stack_.back().fd();
    if (::unlinkat(parent, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) {
      return ErrnoError("remove " + where, errno);
    }
    return OkStatus();
  }

  // Renames the directory `name` in `dirfd`, one level too deep to open, into
  // the top directory under a fresh name, where a later pass empties it. Same
  // filesystem (the mount was checked), so this is a rename, not a copy.
  Status MoveUp(int dirfd, const std::string& name) {
    for (;;) {
      const std::string to = ".berth-remove-" + std::to_string(moved_++);
      if (::renameat2(dirfd, name.c_str(), stack_.front().fd(), to.c_str(), RENAME_NOREPLACE) ==
              0 ||
          errno == ENOENT) {
        return OkStatus();
      }
      if (errno != EEXIST) {
        return ErrnoError("remove " + Where(name) + ": move it up to " + display_ + "/" + to,
                          errno);
      }
    }
  }

  // The path of the deepest open directory (and `entry` in it), for messages:
  // at most kRemoveTreeMaxOpenDirs names, whatever the depth.
  std::string Where(const std::string& entry = "") const {
    std::string out = display_;
    for (size_t i = 1; i < stack_.size(); ++i) out += "/" + stack_[i].name;
    if (!entry.empty()) out += "/" + entry;
    return out;
  }

  const int parent_fd_;
  const std::string display_;
  const RemoveTreeOptions options_;
  MountId mount_;
  std::vector<Frame> stack_;
  uint64_t moved_ = 0;
};

}  // namespace

Status RemoveTreeAt(int dirfd, const std::string& name, const std::string& display,
                    const RemoveTreeOptions& options) {
  // The common case first: anything that is not a directory.
  if (::unlinkat(dirfd, name.c_str(), 0) == 0 || errno == ENOENT) return OkStatus();
  if (errno != EISDIR && errno != EPERM) return ErrnoError("remove " + display, errno);
  return TreeRemover(dirfd, display, options).Run(name);
}

}  // namespace berth
