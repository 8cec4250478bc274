// LayerStore: unpacked image layers, one directory per chain ID, shared by
// every image whose rootfs starts with the same layers.
//
// On disk, under <root>/layers/:
//   <chain-hex>/diff/       the unpacked layer (overlayfs whiteouts)
//   <chain-hex>/link        the layer's short name (26 chars, [A-Z0-9])
//   <chain-hex>/parent      parent chain ID ("" for a bottom layer)
//   <chain-hex>/meta.json   chain ID, diff ID, parent, blob digest, sizes
//   l/<short>  ->  ../<chain-hex>/diff    so lowerdir= stays short
//   tmp/                    unpacks in progress and removals; emptied at Open
// A layer directory appears only by rename(2) of a complete temp directory
// (meta.json written and the tree synced first), so after a crash a layer is
// either complete or absent; Open() also checks every layer and sets aside
// any that is not complete.
//
// Removal is decided by the ImageStore (which knows which images use which
// layers). A Lease protects chain IDs an in-flight pull relies on from that
// removal until the pull has registered its image.
//
// Thread-safe. mu_ guards the in-memory index only; unpacking and deleting
// happen outside it.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "pkg/base/cancel.h"
#include "pkg/base/status.h"
#include "pkg/image/layer_unpack.h"

namespace berth::image {

// A downloaded, digest-verified layer blob to unpack.
struct LayerBlob {
  std::string path;        // file holding the blob
  std::string media_type;  // OCI/Docker layer media type ("" = detect)
  std::string digest;      // compressed blob digest (recorded only)
  uint64_t size = 0;       // compressed size (recorded only)
  // rootfs.diff_ids[i] from the image config; when set, the chain ID is known
  // before unpacking (so an existing layer is not unpacked again) and the
  // unpacked stream is verified against it.
  std::string diff_id;
  std::string parent_chain_id;  // chain ID of the layer below; "" for the bottom one
};

struct LayerInfo {
  std::string chain_id;  // "sha256:<hex>"
  std::string diff_id;
  std::string parent_chain_id;
  std::string blob_digest;
  uint64_t blob_size = 0;
  uint64_t unpacked_bytes = 0;
  std::string short_id;  // the l/<short_id> link name
};

// The value of an overlay lowerdir= option made of short links. Paths in it
// are relative to `base_dir`, so the mount must be made with that directory
// as the working directory.
struct LowerDir {
  std::string option;    // "l/AAA:l/BBB:..." top-most layer first
  std::string base_dir;  // <root>/layers
};

// How much one layer may unpack to, against decompression bombs (config keys
// image_layer_max_unpacked_gib and image_layer_max_expansion_ratio). A layer's
// uncompressed tar stream may be at most
//   min(max_unpacked_bytes, max(max_expansion_ratio x its compressed size,
//       kExpansionRatioFloor), the image filesystem's free space at the start),
// and the unpack starts only when that filesystem has at least
// kFreeSpaceFactor x the compressed size free.
struct UnpackLimits {
  uint64_t max_unpacked_bytes = uint64_t(32) << 30;
  uint64_t max_expansion_ratio = 100;  // 0 = no ratio bound
  // Below this a layer is never refused for its ratio: a layer of many empty
  // or tiny files (tar headers are mostly zeros) compresses far beyond 100x.
  static constexpr uint64_t kExpansionRatioFloor = uint64_t(64) << 20;
  // Layers typically unpack to 2-4x their compressed size; less free space
  // than twice the blob means the unpack would almost surely fill the disk.
  static constexpr uint64_t kFreeSpaceFactor = 2;
};

class LayerStore;

// RAII: chain IDs held by an in-flight pull. The store will not remove a
// leased layer; destruction releases the hold.
class LayerLease {
 public:
  LayerLease() = default;
  LayerLease(const LayerLease&) = delete;
  LayerLease& operator=(const LayerLease&) = delete;
  LayerLease(LayerLease&& o) noexcept;
  LayerLease& operator=(LayerLease&& o) noexcept;
  ~LayerLease();
  void Add(const std::string& chain_id);

 private:
  friend class LayerStore;
  explicit LayerLease(LayerStore* store) : store_(store) {}
  LayerStore* store_ = nullptr;
  std::vector<std::string> chain_ids_;
};

// RAII for an overlay (or bind) mount of a container rootfs: unmounts
// (MNT_DETACH) on destruction unless Release()d.
class RootfsMount {
 public:
  RootfsMount() = default;
  explicit RootfsMount(std::string target) : target_(std::move(target)) {}
  RootfsMount(const RootfsMount&) = delete;
  RootfsMount& operator=(const RootfsMount&) = delete;
  RootfsMount(RootfsMount&& o) noexcept : target_(std::move(o.target_)) { o.target_.clear(); }
  RootfsMount& operator=(RootfsMount&& o) noexcept;
  ~RootfsMount();
  const std::string& target() const { return target_; }
  // Keeps the mount; the caller now owns unmounting it.
  std::string Release() { return std::exchange(target_, {}); }
  Status Unmount();

 private:
  std::string target_;
};

class LayerStore {
 public:
  // Creates <root>/layers/{l,tmp} as needed, empties tmp/, removes dangling
  // short links, and loads every complete layer (incomplete ones set aside).
  static Result<std::unique_ptr<LayerStore>> Open(const std::string& root);
  ~LayerStore();

  // Unpacks `blob` unless its layer is already present (then returns it).
  // Concurrent calls for the same chain ID unpack once; the others wait and
  // return the same layer. Errors: InvalidArgument for a malicious or corrupt
  // blob, a wrong media type or a diff ID mismatch (nothing is left behind).
  // Bounded by the store's UnpackLimits (ResourceExhausted naming the bound,
  // nothing left behind); stops soon after `cancel` is cancelled.
  Result<LayerInfo> Unpack(const LayerBlob& blob, const CancelToken& cancel = {});
  // Set before the first Unpack.
  void SetUnpackLimits(const UnpackLimits& limits);

  bool Exists(const std::string& chain_id) const;
  Result<LayerInfo> Get(const std::string& chain_id) const;
  std::vector<std::string> List() const;  // chain IDs
  // Chain IDs from the bottom layer up to `top_chain_id` (via parent links).
  Result<std::vector<std::string>> Chain(const std::string& top_chain_id) const;
  // Directory holding the unpacked content of `chain_id`.
  std::string DiffDir(const std::string& chain_id) const;
  std::string layers_dir() const { return layers_dir_; }

  LayerLease NewLease() { return LayerLease(this); }

  // Takes `chain_id` out of the store unless it is leased or being unpacked:
  // its directory is renamed into tmp/ (cheap, done under the lock) and the
  // returned path must be passed to DeleteDetached() (slow, no lock). Returns
  // "" when the layer was kept or is absent.
  Result<std::string> Detach(const std::string& chain_id);
  Status DeleteDetached(const std::string& path);

  // Overlay lowerdir= for `chain_ids` given bottom first (image order).
  Result<LowerDir> LowerDirOption(const std::vector<std::string>& chain_ids) const;
  // Mounts the rootfs of the image whose top layer is `top_chain_id` on
  // `target`: overlay with upper/work dirs, or (readonly) with no upper dir.
  // `top_chain_id` "" means an image with no layers (an empty lower dir).
  Result<RootfsMount> MountRootfs(const std::string& top_chain_id, const std::string& upper,
                                  const std::string& work, const std::string& target,
                                  bool readonly) const;

  // Re-checks every layer directory (meta.json readable and consistent with
  // its name, diff/ present, short link present, recreated if missing). Layers
  // that fail are set aside (removed) and their chain IDs returned.
  Result<std::vector<std::string>> CheckIntegrity();

 private:
  friend class LayerLease;
  explicit LayerStore(std::string layers_dir);
  void Release(const std::vector<std::string>& chain_ids);
  Result<LayerInfo> UnpackInto(const LayerBlob& blob, const std::string& known_chain_id,
                               const CancelToken& cancel);
  // The bound on `blob`'s uncompressed stream, after checking the free space
  // of the filesystem holding `dir`.
  Status BoundUnpack(const LayerBlob& blob, const std::string& dir, UnpackOptions* opts) const;
  Result<LayerInfo> LoadLayer(const std::string& hex);
  std::string EmptyDir() const;

  const std::string layers_dir_;
  const bool rootless_;
  mutable std::mutex mu_;
  std::condition_variable unpack_done_;
  std::map<std::string, LayerInfo> layers_;  // GUARDED_BY(mu_), by chain ID
  std::set<std::string> unpacking_;          // GUARDED_BY(mu_), chain IDs in flight
  std::map<std::string, int> leases_;        // GUARDED_BY(mu_), chain ID → holders
  UnpackLimits limits_;                      // GUARDED_BY(mu_)
};

}  // namespace berth::image
