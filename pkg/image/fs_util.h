// Small filesystem helpers private to pkg/image.
//
// WriteFileAtomic/ReadSmallFile duplicate what pkg/fs provides: pkg/fs was being
// written at the same time as this package, so the lead folds these into it.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <string>
#include <string_view>

#include "pkg/base/status.h"

namespace berth::image::internal {

// Owns one file descriptor (private twin of pkg/fs ScopedFd).
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  UniqueFd(UniqueFd&& o) noexcept : fd_(o.release()) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept {
    if (this != &o) reset(o.release());
    return *this;
  }
  ~UniqueFd() { reset(); }
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void reset(int fd = -1);

 private:
  int fd_ = -1;
};

// Temp file in the same directory, write, fsync, rename over `path`, fsync dir.
Status WriteFileAtomic(const std::string& path, std::string_view content, mode_t mode = 0644);

// Whole content of `path`; larger than `max_bytes` is ResourceExhausted.
Result<std::string> ReadSmallFile(const std::string& path, size_t max_bytes);

// fsync of a directory, so a rename or create inside it survives a crash.
Status FsyncDir(const std::string& dir);

// Removes `path` and everything below it without following symlinks.
// A missing path is OK. Read-only directories inside are made writable first.
Status RemoveTree(const std::string& path);

// Removes `name` (and, for a directory, everything below it) inside `dirfd`.
Status RemoveTreeAt(int dirfd, const std::string& name, const std::string& what);

// `n` random characters from [a-z0-9] (or [A-Z0-9] when `upper`), from getrandom.
std::string RandomName(size_t n, bool upper = false);

}  // namespace berth::image::internal
