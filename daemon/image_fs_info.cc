// ImageFsInfo: space and inodes used under the image store, on its filesystem.
#include "pkg/image/image_fs_info.h"
#include "daemon/image_manager.h"

namespace berth::daemon {

Status ImageManager::ImageFsInfo(const runtime::v1::ImageFsInfoRequest&,
                                 runtime::v1::ImageFsInfoResponse* resp) {
  BERTH_ASSIGN_OR_RETURN(image::FsUsage usage, image::ImageFsUsage(image_root_));
  runtime::v1::FilesystemUsage* fs = resp->add_image_filesystems();
  fs->set_timestamp(usage.timestamp_nanos);
  fs->mutable_fs_id()->set_mountpoint(usage.mountpoint);
  fs->mutable_used_bytes()->set_value(usage.used_bytes);
  fs->mutable_inodes_used()->set_value(usage.inodes_used);
  // Container writable layers share the image filesystem (under the same
  // root), so no separate container filesystem is reported, as containerd does
  // when they are not split.
  return OkStatus();
}

}  // namespace berth::daemon
