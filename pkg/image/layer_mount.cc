// LayerStore's overlay side: lowerdir= options built from short links, and
// the rootfs mount made from a short-lived thread with a working directory of
// its own, the layers directory (so the relative l/<id> names resolve, without
// changing the daemon's working directory under its other threads).
#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "pkg/image/layer_store.h"

namespace berth::image {
namespace {

// The kernel copies mount options into one page.
constexpr size_t kMaxMountData = 4096;

// Overlay splits its options on ',' and lowerdir on ':'; a path holding
// either (or a newline, for mountinfo) could smuggle in options.
Status CheckMountPath(const std::string& what, const std::string& path) {
  if (path.empty() || path[0] != '/') {
    return InvalidArgument(what + " \"" + path.substr(0, 200) + "\" is not an absolute path");
  }
  if (path.find_first_of(",:\n\\") != std::string::npos) {
    return InvalidArgument(what + " \"" + path.substr(0, 200) +
                           "\" contains a character overlayfs cannot take (',', ':', '\\\\')");
  }
  return OkStatus();
}

// Runs mount(2) with `cwd` as the working directory. A thread that unshares
// its filesystem attributes (CLONE_FS) gets a working directory of its own:
// far cheaper than forking the daemon for every rootfs, and the daemon's
// other threads never see the chdir.
Status MountFromDir(const std::string& cwd, const std::string& target, unsigned long flags,
                    const std::string& data) {
  Status result;
  std::thread mounter([&] {
    if (::unshare(CLONE_FS) != 0) {
      result = ErrnoError("unshare the working directory to mount on " + target, errno);
      return;
    }
    if (::chdir(cwd.c_str()) != 0) {
      result = ErrnoError("enter layers directory " + cwd + " to mount on " + target, errno);
      return;
    }
    if (::mount("overlay", target.c_str(), "overlay", flags, data.c_str()) != 0) {
      result = ErrnoError(
          "mount overlay on " + target + " (" + std::to_string(data.size()) + " bytes of options)",
          errno);
    }
  });
  mounter.join();
  return result;
}

}  // namespace

Status RootfsMount::Unmount() {
  if (target_.empty()) return OkStatus();
  const std::string target = std::exchange(target_, {});
  if (::umount2(target.c_str(), MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT) {
    return ErrnoError("unmount rootfs " + target, errno);
  }
  return OkStatus();
}

Result<LowerDir> LayerStore::LowerDirOption(const std::vector<std::string>& chain_ids) const {
  LowerDir out;
  out.base_dir = layers_dir_;
  std::lock_guard lock(mu_);
  // overlayfs lists the top-most layer first; images list the bottom one first.
  for (auto it = chain_ids.rbegin(); it != chain_ids.rend(); ++it) {
    auto layer = layers_.find(*it);
    if (layer == layers_.end()) return NotFound("layer " + it->substr(0, 80) + " not found");
    if (!out.option.empty()) out.option += ':';
    out.option += "l/" + layer->second.short_id;
  }
  if (out.option.empty()) out.option = "empty";  // an image with no layers
  return out;
}

Result<RootfsMount> LayerStore::MountRootfs(const std::string& top_chain_id,
                                            const std::string& upper, const std::string& work,
                                            const std::string& target, bool readonly) const {
  BERTH_RETURN_IF_ERROR(CheckMountPath("rootfs mount target", target));
  std::vector<std::string> chain;
  if (!top_chain_id.empty()) {
    BERTH_ASSIGN_OR_RETURN(chain, Chain(top_chain_id));
  }
  BERTH_ASSIGN_OR_RETURN(LowerDir lower, LowerDirOption(chain));
  std::string data;
  if (readonly) {
    if (chain.empty()) {
      return FailedPrecondition("a read-only rootfs needs an image with at least one layer");
    }
    // Without an upper dir overlayfs wants two lower dirs: pad with the empty one.
    if (chain.size() == 1) lower.option += ":empty";
    data = "lowerdir=" + lower.option;
  } else {
    BERTH_RETURN_IF_ERROR(CheckMountPath("overlay upperdir", upper));
    BERTH_RETURN_IF_ERROR(CheckMountPath("overlay workdir", work));
    data = "lowerdir=" + lower.option + ",upperdir=" + upper + ",workdir=" + work;
  }
  if (data.size() >= kMaxMountData) {
    return InvalidArgument("overlay options for " + std::to_string(chain.size()) + " layers are " +
                           std::to_string(data.size()) +
                           " bytes, over the kernel's one-page limit");
  }
  BERTH_RETURN_IF_ERROR(MountFromDir(lower.base_dir, target, readonly ? MS_RDONLY : 0, data));
  return RootfsMount(target);
}

}  // namespace berth::image
