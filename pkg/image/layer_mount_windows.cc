// Windows build of LayerStore's overlay side (layer_mount.cc is the Linux
// one). overlayfs is Linux-only: a Windows container's rootfs is a stack of
// WCIFS layers that the Host Compute Service attaches, so there is no
// lowerdir= to build and no overlay to mount. Nothing is then ever mounted by
// MountRootfs; a RootfsMount given a path unmounts it through pkg/fs, which
// finds nothing of berth's mounted there.
#include "pkg/fs/mount.h"
#include "pkg/image/layer_store.h"

namespace berth::image {
namespace {

constexpr char kOverlayIsLinuxOnly[] =
    "overlayfs is Linux-only; on Windows the Host Compute Service attaches a container's "
    "layers (WCIFS)";

}  // namespace

Status RootfsMount::Unmount() {
  if (target_.empty()) return OkStatus();
  const std::string target = std::exchange(target_, {});
  return ::berth::Unmount(target).WithContext("unmount rootfs " + target);
}

Result<LowerDir> LayerStore::LowerDirOption(const std::vector<std::string>& chain_ids) const {
  return Unimplemented("overlay lowerdir= for " + std::to_string(chain_ids.size()) + " layers of " +
                       layers_dir_ + ": " + kOverlayIsLinuxOnly);
}

Result<RootfsMount> LayerStore::MountRootfs(const std::string& top_chain_id,
                                            const std::string& /*upper*/,
                                            const std::string& /*work*/, const std::string& target,
                                            bool /*readonly*/) const {
  return Unimplemented("mount the rootfs of layer " +
                       (top_chain_id.empty() ? std::string("(none)") : top_chain_id.substr(0, 80)) +
                       " on " + target + ": " + kOverlayIsLinuxOnly);
}

}  // namespace berth::image
