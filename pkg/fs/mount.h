// Mounts: an RAII guard around mount(2), unmounting, and finding mount points.
#pragma once

#include <string>
#include <string_view>

#include "pkg/base/status.h"

namespace berth {

// Owns one mount: unmounts it (falling back to a lazy MNT_DETACH when busy)
// when it goes out of scope, unless Release()d. Move-only.
class MountGuard {
 public:
  MountGuard() = default;  // owns nothing
  MountGuard(const MountGuard&) = delete;
  MountGuard& operator=(const MountGuard&) = delete;
  MountGuard(MountGuard&& other) noexcept : target_(std::move(other.target_)) {
    other.target_.clear();
  }
  MountGuard& operator=(MountGuard&& other) noexcept;
  // A failed unmount is logged, as a destructor cannot report it.
  ~MountGuard();

  // The mount point; empty when the guard owns nothing.
  const std::string& target() const { return target_; }
  bool active() const { return !target_.empty(); }

  // Leaves the mount in place and returns its target.
  std::string Release();

  // Unmounts now and reports failure; the guard owns nothing after.
  Status Unmount();

 private:
  friend Result<MountGuard> Mount(std::string_view, std::string_view, std::string_view,
                                  unsigned long, std::string_view);
  explicit MountGuard(std::string target) : target_(std::move(target)) {}
  std::string target_;
};

// mount(2) of `source` on `target`; empty `source`, `fstype` or `data` pass
// NULL. A read-only bind mount (MS_BIND|MS_RDONLY) is made read-only with the
// remount the kernel requires. Flags that change an existing mount instead of
// creating one (MS_REMOUNT, MS_MOVE, propagation flags) are InvalidArgument:
// there would be nothing for the guard to own. `data` reaches the kernel as
// is: callers validate anything that came from a pod spec or an image.
Result<MountGuard> Mount(std::string_view source, std::string_view target, std::string_view fstype,
                         unsigned long flags = 0, std::string_view data = "");

// A tmpfs named `source` on `target` from which nothing can gain privileges
// or run (nosuid, nodev, noexec): a pod's /dev/shm. `data` ("mode=1777,
// size=64m") reaches the kernel as is. Unimplemented on Windows, as Mount.
Result<MountGuard> MountRestrictedTmpfs(std::string_view source, std::string_view target,
                                        std::string_view data);

// Unmounts the topmost mount on `path` without following a symlink at `path`;
// lazily (MNT_DETACH) if it is busy. Not mounted or missing is success.
Status Unmount(std::string_view path);

// Whether `path` is the root of a mount (a bind mount counts). A symlink is
// not followed and is never a mount point; a missing path is not one either.
Result<bool> IsMountPoint(std::string_view path);

// Unmounts every mount at or below `prefix` (stacked mounts included),
// deepest first, as listed by /proc/self/mountinfo; repeats until none is
// left, since unmounting can reveal or propagate others. `prefix` must be an
// absolute path other than "/". Used to clean stale mounts after a crash.
Status UnmountRecursive(std::string_view prefix);

}  // namespace berth
