#include "pkg/image/image_store.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <set>

#include "pkg/base/digest.h"
#include "pkg/fs/atomic_file.h"
#include "pkg/fs/dir.h"
#include "pkg/fs/portable_fs.h"
#include "spdlog/spdlog.h"

namespace berth::image {
namespace {

constexpr size_t kMaxRecordBytes = kMaxImageConfigBytes * 2 + 1024 * 1024;

bool IsHex(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// Names reach log lines and file contents: refuse the obviously broken ones.
Status CheckRefName(const std::string& name) {
  if (name.empty() || name.size() > 4096 || std::any_of(name.begin(), name.end(), [](char c) {
        return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f;
      })) {
    return InvalidArgument("image reference \"" + name.substr(0, 200) + "\" is not valid");
  }
  return OkStatus();
}

void AddUnique(std::vector<std::string>& v, const std::string& s) {
  if (std::find(v.begin(), v.end(), s) == v.end()) v.push_back(s);
}

bool Erase(std::vector<std::string>& v, const std::string& s) {
  auto it = std::find(v.begin(), v.end(), s);
  if (it == v.end()) return false;
  v.erase(it);
  return true;
}

int64_t NowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

ImageStore::ImageStore(std::string images_dir, LayerStore* layers)
    : images_dir_(std::move(images_dir)), layers_(layers) {}

Result<std::unique_ptr<ImageStore>> ImageStore::Open(const std::string& root, LayerStore* layers) {
  std::unique_ptr<ImageStore> store(new ImageStore(root + "/images", layers));
  BERTH_RETURN_IF_ERROR(MkdirAll(store->images_dir_, 0700));
  BERTH_RETURN_IF_ERROR(store->Load());
  // Layers of a pull killed before its image was recorded, or of a removal cut short.
  store->ReleaseLayers(layers->List());
  return store;
}

Status ImageStore::Load() {
  BERTH_ASSIGN_OR_RETURN(const std::vector<std::string> names, ListDir(images_dir_));

  auto set_aside = [&](const std::string& name, const Status& why) {
    spdlog::error("image store: record {} is unusable, moved to corrupt/: {}", name,
                  why.ToString());
    const std::string corrupt = images_dir_ + "/corrupt";
    MakeDir(corrupt.c_str(), 0700);  // an existing corrupt/ is fine
    const std::string dest = corrupt + "/" + name + "." + std::to_string(NowNanos());
    if (::rename((images_dir_ + "/" + name).c_str(), dest.c_str()) != 0) {
      spdlog::error("image store: cannot move {} aside: {}", name, std::strerror(errno));
    }
  };

  std::unique_lock lock(mu_);
  for (const auto& name : names) {
    if (name.find(".tmp-") != std::string::npos) {  // an atomic write cut short
      ::unlink((images_dir_ + "/" + name).c_str());
      continue;
    }
    if (!name.ends_with(".json")) continue;
    auto text = ReadFile(images_dir_ + "/" + name, kMaxRecordBytes, FinalSymlink::kRefuse);
    if (!text.ok()) {
      set_aside(name, text.status());
      continue;
    }
    auto record = RecordFromJson(*text);
    if (!record.ok()) {
      set_aside(name, record.status());
      continue;
    }
    if (name != std::string(DigestHex(record->id)) + ".json") {
      set_aside(name, InvalidArgument("file name does not match image ID " + record->id));
      continue;
    }
    auto missing = std::find_if(record->chain_ids.begin(), record->chain_ids.end(),
                                [&](const std::string& c) { return !layers_->Exists(c); });
    if (missing != record->chain_ids.end()) {
      set_aside(name, FailedPrecondition("layer " + *missing + " is missing"));
      continue;
    }
    // A reference claimed twice (only by hand-edited files): first one wins.
    for (auto* list : {&record->repo_tags, &record->repo_digests}) {
      std::erase_if(*list, [&](const std::string& r) {
        if (!refs_.contains(r)) return false;
        spdlog::warn("image store: {} claimed by {} and {}; kept on the first", r, refs_[r],
                     record->id);
        return true;
      });
    }
    IndexLocked(*record);
  }
  spdlog::info("image store {}: {} images", images_dir_, images_.size());
  return OkStatus();
}

void ImageStore::IndexLocked(const ImageRecord& record) {
  for (const auto& t : record.repo_tags) refs_[t] = record.id;
  for (const auto& d : record.repo_digests) refs_[d] = record.id;
  images_[record.id] = record;
}

void ImageStore::UnindexLocked(const ImageRecord& record) {
  for (const auto& t : record.repo_tags) refs_.erase(t);
  for (const auto& d : record.repo_digests) refs_.erase(d);
  images_.erase(record.id);
}

Status ImageStore::Persist(const ImageRecord& record) {
  return WriteFileAtomic(images_dir_ + "/" + std::string(DigestHex(record.id)) + ".json",
                         RecordToJson(record), 0600);
}

void ImageStore::SetPinnedPatterns(std::vector<std::string> patterns) {
  std::unique_lock lock(mu_);
  pinned_patterns_ = std::move(patterns);
}

void ImageStore::SetInUseCheck(InUseFn in_use) {
  std::unique_lock lock(mu_);
  in_use_ = std::move(in_use);
}

bool ImageStore::IsPinnedLocked(const ImageRecord& r) const {
  auto matches = [&](const std::string& pattern, const std::string& name) {
    if (pattern.ends_with('*')) {
      return std::string_view(name).starts_with(
          std::string_view(pattern).substr(0, pattern.size() - 1));
    }
    return name == pattern;
  };
  for (const auto& p : pinned_patterns_) {
    if (p.empty()) continue;
    if (matches(p, r.id)) return true;
    for (const auto& t : r.repo_tags) {
      if (matches(p, t)) return true;
    }
    for (const auto& d : r.repo_digests) {
      if (matches(p, d)) return true;
    }
  }
  return false;
}

ImageRecord ImageStore::WithPinnedLocked(const ImageRecord& record) const {
  ImageRecord out = record;
  out.pinned = IsPinnedLocked(record);
  return out;
}

Result<std::string> ImageStore::ResolveLocked(std::string_view ref) const {
  if (ref.empty()) return InvalidArgument("empty image reference");
  if (auto it = refs_.find(std::string(ref)); it != refs_.end()) return it->second;
  const bool prefixed = ref.starts_with("sha256:");
  std::string_view hex = prefixed ? ref.substr(7) : ref;
  if (hex.empty() || hex.size() > 64 || !IsHex(hex) ||
      (!prefixed && hex.size() < kMinIdPrefixLen)) {
    return NotFound("image \"" + std::string(ref.substr(0, 200)) + "\" not found");
  }
  const std::string prefix = "sha256:" + std::string(hex);
  std::string found;
  for (auto it = images_.lower_bound(prefix);
       it != images_.end() && std::string_view(it->first).starts_with(prefix); ++it) {
    if (!found.empty()) {
      return InvalidArgument("image ID prefix \"" + std::string(ref) + "\" is ambiguous");
    }
    found = it->first;
  }
  if (found.empty()) return NotFound("image \"" + std::string(ref) + "\" not found");
  return found;
}

Result<ImageRecord> ImageStore::Find(std::string_view ref) const {
  std::shared_lock lock(mu_);
  BERTH_ASSIGN_OR_RETURN(std::string id, ResolveLocked(ref));
  return WithPinnedLocked(images_.at(id));
}

std::vector<ImageRecord> ImageStore::List() const {
  std::shared_lock lock(mu_);
  std::vector<ImageRecord> out;
  out.reserve(images_.size());
  for (const auto& [id, r] : images_) out.push_back(WithPinnedLocked(r));
  return out;
}

Result<ImageRecord> ImageStore::Add(ImageRecord record) {
  if (!IsSha256Digest(record.id)) {
    return InvalidArgument("image ID \"" + record.id.substr(0, 100) + "\" is not a sha256 digest");
  }
  for (const auto& r : record.repo_tags) BERTH_RETURN_IF_ERROR(CheckRefName(r));
  for (const auto& r : record.repo_digests) BERTH_RETURN_IF_ERROR(CheckRefName(r));
  std::lock_guard write(write_mu_);
  for (const auto& c : record.chain_ids) {
    if (!layers_->Exists(c)) {
      return FailedPrecondition("image " + record.id + ": layer " + c + " is not unpacked");
    }
  }

  // 1. New state, computed from a snapshot (only writers change the index,
  //    and write_mu_ excludes the others).
  ImageRecord merged;
  std::vector<ImageRecord> losers;  // other images that give up a reference
  {
    std::shared_lock lock(mu_);
    if (auto it = images_.find(record.id); it != images_.end()) {
      merged = it->second;
      for (const auto& t : record.repo_tags) AddUnique(merged.repo_tags, t);
      for (const auto& d : record.repo_digests) AddUnique(merged.repo_digests, d);
    } else {
      merged = record;
      merged.pinned = false;
      if (merged.created_unix_nanos == 0) merged.created_unix_nanos = NowNanos();
    }
    std::map<std::string, ImageRecord> changed;
    for (auto* list : {&record.repo_tags, &record.repo_digests}) {
      for (const auto& ref : *list) {
        auto owner = refs_.find(ref);
        if (owner == refs_.end() || owner->second == record.id) continue;
        auto [it, inserted] = changed.emplace(owner->second, images_.at(owner->second));
        Erase(it->second.repo_tags, ref);
        Erase(it->second.repo_digests, ref);
      }
    }
    for (auto& [id, r] : changed) losers.push_back(std::move(r));
  }

  // 2. Disk: the old owners first, so a crash in between loses a tag rather
  //    than leaving it on two images.
  for (const auto& r : losers) BERTH_RETURN_IF_ERROR(Persist(r));
  BERTH_RETURN_IF_ERROR(Persist(merged));

  // 3. Memory.
  std::unique_lock lock(mu_);
  for (const auto& r : losers) {
    UnindexLocked(images_.at(r.id));
    IndexLocked(r);
    spdlog::info("image {}: reference moved to {}", r.id, merged.id);
  }
  if (auto it = images_.find(merged.id); it != images_.end()) UnindexLocked(it->second);
  IndexLocked(merged);
  return WithPinnedLocked(merged);
}

Result<ImageRecord> ImageStore::Untag(std::string_view name) {
  std::lock_guard write(write_mu_);
  ImageRecord updated;
  {
    std::shared_lock lock(mu_);
    auto it = refs_.find(std::string(name));
    if (it == refs_.end()) {
      return NotFound("image reference \"" + std::string(name.substr(0, 200)) + "\" not found");
    }
    updated = images_.at(it->second);
  }
  Erase(updated.repo_tags, std::string(name));
  Erase(updated.repo_digests, std::string(name));
  BERTH_RETURN_IF_ERROR(Persist(updated));
  std::unique_lock lock(mu_);
  UnindexLocked(images_.at(updated.id));
  IndexLocked(updated);
  return WithPinnedLocked(updated);
}

Status ImageStore::Remove(std::string_view id_view) {
  std::string id(id_view);
  if (!id.starts_with("sha256:")) id = "sha256:" + id;
  if (!IsSha256Digest(id)) {
    return InvalidArgument("image ID \"" + id.substr(0, 100) + "\" is not a full image ID");
  }
  std::vector<std::string> chain_ids;
  {
    std::lock_guard write(write_mu_);
    InUseFn in_use;
    {
      std::shared_lock lock(mu_);
      auto it = images_.find(id);
      if (it == images_.end()) return NotFound("image " + id + " not found");
      chain_ids = it->second.chain_ids;
      in_use = in_use_;
    }
    // Called without our locks: it takes the daemon's container lock.
    if (in_use && in_use(id)) {
      return FailedPrecondition("image " + id + " is in use by a container");
    }
    const std::string file = images_dir_ + "/" + std::string(DigestHex(id)) + ".json";
    if (::unlink(file.c_str()) != 0 && errno != ENOENT) {
      return ErrnoError("remove image record " + file, errno);
    }
    BERTH_RETURN_IF_ERROR(FsyncDir(images_dir_));
    std::unique_lock lock(mu_);
    UnindexLocked(images_.at(id));
  }
  spdlog::info("image {} removed", id);
  ReleaseLayers(chain_ids);
  return OkStatus();
}

Result<RemoveOutcome> ImageStore::RemoveReference(std::string_view ref) {
  auto found = Find(ref);
  if (!found.ok()) {
    if (found.status().code() == Code::kNotFound) return RemoveOutcome::kAbsent;
    return found.status();
  }
  const std::string name(ref);
  const bool is_tag =
      std::find(found->repo_tags.begin(), found->repo_tags.end(), name) != found->repo_tags.end();
  if (is_tag && found->repo_tags.size() > 1) {
    auto untagged = Untag(name);
    if (!untagged.ok() && untagged.status().code() != Code::kNotFound) return untagged.status();
    return RemoveOutcome::kUntagged;
  }
  Status s = Remove(found->id);
  if (s.code() == Code::kNotFound) return RemoveOutcome::kAbsent;
  if (!s.ok()) return s;
  return RemoveOutcome::kRemoved;
}

void ImageStore::ReleaseLayers(const std::vector<std::string>& candidates) {
  std::vector<std::string> detached;
  {
    // Shared lock across check and detach: an Add of an image using one of
    // these layers either is already indexed (seen here) or still waits for
    // the lock, its pull holding a lease that makes Detach keep the layer.
    std::shared_lock lock(mu_);
    std::set<std::string> used;
    for (const auto& [id, r] : images_) used.insert(r.chain_ids.begin(), r.chain_ids.end());
    for (const auto& c : candidates) {
      if (used.contains(c)) continue;
      auto path = layers_->Detach(c);
      if (!path.ok()) {
        spdlog::warn("image store: cannot release layer {}: {}", c, path.status().ToString());
        continue;
      }
      if (!path->empty()) detached.push_back(*path);
    }
  }
  for (const auto& p : detached) {
    if (Status s = layers_->DeleteDetached(p); !s.ok()) {
      spdlog::warn("image store: deleting released layer: {}", s.ToString());
    }
  }
  if (!detached.empty()) spdlog::info("image store: released {} layers", detached.size());
}

}  // namespace berth::image
