// CheckLayerMediaType (layer_unpack.h): which layer blobs berth unpacks, the
// same on every system.
#include <string>
#include <string_view>

#include "pkg/image/layer_unpack.h"

namespace berth::image {

Status CheckLayerMediaType(std::string_view mt) {
  static constexpr std::string_view kKnown[] = {
      "",
      "application/vnd.oci.image.layer.v1.tar",
      "application/vnd.oci.image.layer.v1.tar+gzip",
      "application/vnd.oci.image.layer.v1.tar+zstd",
      "application/vnd.oci.image.layer.nondistributable.v1.tar",
      "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
      "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
      "application/vnd.docker.image.rootfs.diff.tar",
      "application/vnd.docker.image.rootfs.diff.tar.gzip",
      "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
  };
  for (auto k : kKnown) {
    if (mt == k) return OkStatus();
  }
  return InvalidArgument("unsupported layer media type \"" + std::string(mt.substr(0, 200)) + "\"");
}

}  // namespace berth::image
