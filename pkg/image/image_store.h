// ImageStore: the images berth knows, by ID (config digest), repo tag and
// repo digest, persisted one JSON file per image under <root>/images/.
//
// Promises:
//  - a record is written atomically (temp, fsync, rename, fsync dir) before
//    it becomes visible in memory, so what List() shows survives a crash;
//  - Open() loads every record; a corrupt one (or one whose layers are gone)
//    is logged and moved to <root>/images/corrupt/, never fatal; layers no
//    image references (a pull killed midway) are then removed;
//  - a repo tag or repo digest belongs to at most one image: Add() moves it
//    from any image holding it (an image left with no references stays, as in
//    containerd, and is listed without tags);
//  - Remove() deletes the record, then the layers no remaining image uses;
//    the daemon's InUse check can refuse it (FailedPrecondition).
//
// Locking: mu_ (shared) guards the index and is held only for lookups and
// index updates; write_mu_ serializes mutations, including their file writes,
// so readers never wait on the disk. Lock order: write_mu_ → mu_ → the
// LayerStore's lock.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "pkg/base/status.h"
#include "pkg/image/image_record.h"
#include "pkg/image/layer_store.h"

namespace berth::image {

// Shortest bare hex ID prefix Find() accepts (a full "sha256:"-prefixed or
// 64-hex ID always works).
inline constexpr size_t kMinIdPrefixLen = 6;

enum class RemoveOutcome { kAbsent, kUntagged, kRemoved };

class ImageStore {
 public:
  // True when a container uses the image: such an image cannot be removed.
  using InUseFn = std::function<bool(const std::string& image_id)>;

  // `layers` must outlive the store.
  static Result<std::unique_ptr<ImageStore>> Open(const std::string& root, LayerStore* layers);

  // Exact names ("docker.io/library/pause:3.9") or trailing-'*' prefixes
  // ("registry.k8s.io/*"); matched against tags, digests and the ID.
  void SetPinnedPatterns(std::vector<std::string> patterns);
  void SetInUseCheck(InUseFn in_use);

  // Registers `record` (built with RecordFromConfig plus tags/digests/size)
  // or merges its tags and digests into the existing image with the same ID.
  // Every chain ID must be in the layer store (FailedPrecondition otherwise):
  // hold a LayerLease on them from before unpacking until Add returns.
  Result<ImageRecord> Add(ImageRecord record);

  // Finds an image by repo tag or repo digest (normalized by the caller), by
  // full ID ("sha256:<hex>" or bare hex) or by a unique ID prefix (bare hex of
  // at least kMinIdPrefixLen chars, or "sha256:" + any prefix). NotFound when
  // nothing matches, InvalidArgument for an ambiguous prefix.
  Result<ImageRecord> Find(std::string_view ref) const;
  std::vector<ImageRecord> List() const;  // sorted by ID

  // Removes a repo tag or repo digest from the image holding it; returns the image.
  Result<ImageRecord> Untag(std::string_view name);
  // Removes the image `id` (full ID, either form) and its unshared layers.
  Status Remove(std::string_view id);
  // CRI RemoveImage: a tag of an image with other tags is only untagged;
  // otherwise the image is removed; an unknown reference is kAbsent.
  Result<RemoveOutcome> RemoveReference(std::string_view ref);
  // Deletes those of `chain_ids` that no image uses and no lease holds: what a
  // failed pull unpacked (release the pull's lease first).
  void ReleaseUnusedLayers(const std::vector<std::string>& chain_ids) { ReleaseLayers(chain_ids); }

 private:
  ImageStore(std::string images_dir, LayerStore* layers);
  Status Load();
  Status Persist(const ImageRecord& record);
  // Removes, from `candidates`, the layers no image references (and no lease holds).
  void ReleaseLayers(const std::vector<std::string>& candidates);
  bool IsPinnedLocked(const ImageRecord& record) const;
  ImageRecord WithPinnedLocked(const ImageRecord& record) const;
  Result<std::string> ResolveLocked(std::string_view ref) const;
  void IndexLocked(const ImageRecord& record);
  void UnindexLocked(const ImageRecord& record);

  const std::string images_dir_;
  LayerStore* const layers_;
  std::mutex write_mu_;  // serializes mutations
  mutable std::shared_mutex mu_;
  std::map<std::string, ImageRecord> images_;  // GUARDED_BY(mu_), by ID
  std::map<std::string, std::string> refs_;    // GUARDED_BY(mu_), tag/digest → ID
  std::vector<std::string> pinned_patterns_;   // GUARDED_BY(mu_)
  InUseFn in_use_;                             // GUARDED_BY(mu_)
};

}  // namespace berth::image
