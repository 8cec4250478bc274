// MountGuard's ownership, the same on every system: what it unmounts is
// mount.h's Unmount (mount.cc on Linux, windows/mount_windows.cc on Windows).
#include <spdlog/spdlog.h>

#include <utility>

#include "pkg/fs/mount.h"

namespace berth {

MountGuard& MountGuard::operator=(MountGuard&& other) noexcept {
  if (this != &other) {
    if (Status s = Unmount(); !s.ok()) spdlog::warn("mount guard: {}", s.message());
    target_ = std::exchange(other.target_, std::string());
  }
  return *this;
}

MountGuard::~MountGuard() {
  if (Status s = Unmount(); !s.ok()) spdlog::warn("mount guard: {}", s.message());
}

std::string MountGuard::Release() {
  return std::exchange(target_, std::string());
}

Status MountGuard::Unmount() {
  if (target_.empty()) return OkStatus();
  return ::berth::Unmount(std::exchange(target_, std::string()));
}

}  // namespace berth
