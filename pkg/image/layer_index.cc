// LayerStore's index of the layers it holds: leases, lookups, single-flight
// unpacking and removal of detached trees, the same on every system. Where
// the layers live on disk and how they are unpacked and published is
// layer_store.cc (overlayfs's layout, Linux) or layer_store_windows.cc.
#include <utility>

#include "pkg/base/digest.h"
#include "pkg/fs/dir.h"
#include "pkg/image/chain_id.h"
#include "pkg/image/layer_store.h"

namespace berth::image {

LayerLease::LayerLease(LayerLease&& o) noexcept
    : store_(std::exchange(o.store_, nullptr)), chain_ids_(std::move(o.chain_ids_)) {}

LayerLease& LayerLease::operator=(LayerLease&& o) noexcept {
  if (this != &o) {
    if (store_ != nullptr) store_->Release(chain_ids_);
    store_ = std::exchange(o.store_, nullptr);
    chain_ids_ = std::move(o.chain_ids_);
  }
  return *this;
}

LayerLease::~LayerLease() {
  if (store_ != nullptr) store_->Release(chain_ids_);
}

void LayerLease::Add(const std::string& chain_id) {
  if (store_ == nullptr) return;
  std::lock_guard lock(store_->mu_);
  ++store_->leases_[chain_id];
  chain_ids_.push_back(chain_id);
}

void LayerStore::Release(const std::vector<std::string>& chain_ids) {
  std::lock_guard lock(mu_);
  for (const auto& c : chain_ids) {
    auto it = leases_.find(c);
    if (it != leases_.end() && --it->second <= 0) leases_.erase(it);
  }
}

LayerStore::~LayerStore() = default;

std::string LayerStore::DiffDir(const std::string& chain_id) const {
  return layers_dir_ + "/" + std::string(DigestHex(chain_id)) + "/diff";
}

void LayerStore::SetUnpackLimits(const UnpackLimits& limits) {
  std::lock_guard lock(mu_);
  limits_ = limits;
}

Result<LayerInfo> LayerStore::Unpack(const LayerBlob& blob, const CancelToken& cancel) {
  BERTH_RETURN_IF_ERROR(CheckLayerMediaType(blob.media_type));
  if (!blob.diff_id.empty() && !IsSha256Digest(blob.diff_id)) {
    return InvalidArgument("layer diff ID \"" + blob.diff_id.substr(0, 100) +
                           "\" is not a sha256 digest");
  }
  if (!blob.parent_chain_id.empty() && !IsSha256Digest(blob.parent_chain_id)) {
    return InvalidArgument("parent chain ID \"" + blob.parent_chain_id.substr(0, 100) +
                           "\" is not a sha256 digest");
  }
  if (blob.diff_id.empty()) return UnpackInto(blob, "", cancel);

  // Single flight per chain ID: the first caller unpacks, the others wait.
  const std::string chain_id = ChainId(blob.parent_chain_id, blob.diff_id);
  {
    std::unique_lock lock(mu_);
    for (;;) {
      if (auto it = layers_.find(chain_id); it != layers_.end()) return it->second;
      if (!unpacking_.contains(chain_id)) break;
      unpack_done_.wait(lock);
    }
    unpacking_.insert(chain_id);
  }
  auto result = UnpackInto(blob, chain_id, cancel);
  {
    std::lock_guard lock(mu_);
    unpacking_.erase(chain_id);
  }
  unpack_done_.notify_all();
  return result;
}

bool LayerStore::Exists(const std::string& chain_id) const {
  std::lock_guard lock(mu_);
  return layers_.contains(chain_id);
}

Result<LayerInfo> LayerStore::Get(const std::string& chain_id) const {
  std::lock_guard lock(mu_);
  auto it = layers_.find(chain_id);
  if (it == layers_.end()) return NotFound("layer " + chain_id.substr(0, 80) + " not found");
  return it->second;
}

std::vector<std::string> LayerStore::List() const {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  for (const auto& [id, info] : layers_) out.push_back(id);
  return out;
}

Result<std::vector<std::string>> LayerStore::Chain(const std::string& top_chain_id) const {
  constexpr size_t kMaxDepth = 1000;  // beyond any real image; stops a parent cycle
  std::lock_guard lock(mu_);
  std::vector<std::string> chain;
  for (std::string cur = top_chain_id; !cur.empty();) {
    auto it = layers_.find(cur);
    if (it == layers_.end()) return NotFound("layer " + cur.substr(0, 80) + " not found");
    if (chain.size() >= kMaxDepth) return Internal("layer chain of " + top_chain_id + " loops");
    chain.push_back(cur);
    cur = it->second.parent_chain_id;
  }
  return std::vector<std::string>(chain.rbegin(), chain.rend());
}

Status LayerStore::DeleteDetached(const std::string& path) {
  if (path.empty()) return OkStatus();
  return RemoveAll(path, kUnpackedTreeRemoval);
}

}  // namespace berth::image
