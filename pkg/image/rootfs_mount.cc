// RootfsMount's ownership, the same on every system; its Unmount is
// layer_mount.cc's (Linux) or layer_mount_windows.cc's.
#include <utility>

#include "pkg/image/layer_store.h"
#include "spdlog/spdlog.h"

namespace berth::image {

RootfsMount& RootfsMount::operator=(RootfsMount&& o) noexcept {
  if (this != &o) {
    if (Status s = Unmount(); !s.ok()) spdlog::warn("{}", s.ToString());
    target_ = std::exchange(o.target_, {});
  }
  return *this;
}

RootfsMount::~RootfsMount() {
  if (Status s = Unmount(); !s.ok()) spdlog::warn("{}", s.ToString());
}

}  // namespace berth::image
