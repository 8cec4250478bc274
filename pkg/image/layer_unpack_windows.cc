// Windows build of layer_unpack.h's UnpackLayer (layer_unpack.cc and its
// EntryWriter are the Linux one). What the Linux unpacker writes is a Linux
// root filesystem for overlayfs: whiteouts as 0/0 character devices, opaque
// directories as trusted.overlay xattrs, device nodes, numeric owners, modes
// and xattrs. None of that has a meaning on NTFS, and a Windows container does
// not run from a plain directory: its layers are imported by the Host Compute
// Service (HcsImportLayer, computestorage.dll) into its own layer format. So
// the Windows build refuses to unpack, naming the layer, rather than write a
// tree no Windows runtime could use. CheckLayerMediaType
// (layer_media_type.cc) is shared.
#include "pkg/image/layer_unpack.h"

namespace berth::image {

Result<UnpackResult> UnpackLayer(const std::string& blob_path, const std::string& dest_dir,
                                 const UnpackOptions& /*options*/) {
  return Unimplemented("unpack layer blob " + blob_path + " into " + dest_dir +
                       ": unpacking into a Linux root filesystem (overlayfs whiteouts, device "
                       "nodes, owners, xattrs) is Linux-only; on Windows, container layers are "
                       "imported by the Host Compute Service (HcsImportLayer), which berth does "
                       "not drive yet");
}

}  // namespace berth::image
