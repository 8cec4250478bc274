// Unpacking one layer blob (tar, tar+gzip, tar+zstd) into an empty directory,
// converting OCI whiteouts to overlayfs ones and computing the diff ID.
//
// Promises:
//  - nothing is ever created or changed outside `dest_dir`: an entry whose name
//    is absolute, has a ".." component, passes through a symlink (from an
//    earlier entry or pre-existing), or a hard link whose target is such a
//    name, fails the whole unpack with InvalidArgument naming the entry;
//  - `.wh.<name>` becomes a 0/0 character device `<name>`, `.wh..wh..opq` sets
//    `trusted.overlay.opaque=y` on its directory, other `.wh..wh.*` are dropped;
//  - hard links, symlinks, device nodes, fifos, xattrs (except `trusted.overlay.*`
//    and `user.overlay.*`, which would let an image forge overlay metadata),
//    owners, modes (incl. setuid/setgid/sticky) and mtimes are kept;
//  - the diff ID is the sha256 of the whole uncompressed tar stream, verified
//    against `expected_diff_id` when one is given (mismatch: InvalidArgument).
// On failure `dest_dir` is left partly filled: the caller removes it.
// The Windows build refuses to unpack (Unimplemented): layer_unpack_windows.cc
// says why.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "pkg/base/cancel.h"
#include "pkg/base/status.h"

namespace berth::image {

struct UnpackOptions {
  // "sha256:<hex>" from the image config's rootfs.diff_ids; empty = not checked.
  std::string expected_diff_id;
  // Not root: owners are not changed and device nodes (other than whiteouts)
  // are skipped with a warning. Opaque directories still need root.
  bool rootless = false;
  // The most decompressed bytes the blob may yield (0 = no bound): a small
  // blob must not fill the disk (a decompression bomb). Past it the unpack
  // fails with ResourceExhausted naming `limit_name`, which says where the
  // bound comes from.
  uint64_t max_decompressed_bytes = 0;
  std::string limit_name{};
  // Cancelled: the unpack stops within one 64 KiB block (kCancelled).
  CancelToken cancel{};
};

struct UnpackResult {
  std::string diff_id;              // "sha256:<hex>" of the uncompressed tar
  uint64_t unpacked_bytes = 0;      // sum of regular file sizes
  uint64_t entries = 0;             // tar entries processed
  uint64_t decompressed_bytes = 0;  // the uncompressed tar stream's length
};

// OK for the OCI and Docker layer media types berth unpacks (and for "",
// meaning "detect"); InvalidArgument naming any other type.
Status CheckLayerMediaType(std::string_view media_type);

// Unpacks the blob at `blob_path` into the existing, empty `dest_dir`.
Result<UnpackResult> UnpackLayer(const std::string& blob_path, const std::string& dest_dir,
                                 const UnpackOptions& options);

}  // namespace berth::image
