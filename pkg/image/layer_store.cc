#include "pkg/image/layer_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "nlohmann/json.hpp"
#include "pkg/base/digest.h"
#include "pkg/base/random_bytes.h"
#include "pkg/fs/atomic_file.h"
#include "pkg/fs/dir.h"
#include "pkg/fs/scoped_fd.h"
#include "pkg/image/chain_id.h"
#include "pkg/image/layer_unpack.h"
#include "pkg/image/record_json.h"
#include "spdlog/spdlog.h"

namespace berth::image {
namespace {

constexpr size_t kShortIdLen = 26;
constexpr size_t kMaxMetaBytes = 64 * 1024;

bool IsShortId(std::string_view s) {
  if (s.size() != kShortIdLen) return false;
  for (char c : s) {
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) return false;
  }
  return true;
}

// `n` random characters from [a-z0-9] (or [A-Z0-9] when `upper`), from
// getrandom: names of temp directories and short layer IDs.
std::string RandomName(size_t n, bool upper = false) {
  static constexpr char kLower[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  static constexpr char kUpper[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  const char* alphabet = upper ? kUpper : kLower;
  std::vector<std::uint8_t> bytes(n);
  // No entropy source at all: nothing sane to do.
  if (!FillRandomBytes(bytes).ok()) std::abort();
  std::string out;
  for (std::uint8_t b : bytes) out.push_back(alphabet[b % 36]);
  return out;
}

std::string LinkTarget(const std::string& hex) {
  return "../" + hex + "/diff";
}

}  // namespace

LayerStore::LayerStore(std::string layers_dir)
    : layers_dir_(std::move(layers_dir)), rootless_(::geteuid() != 0) {}

Result<std::unique_ptr<LayerStore>> LayerStore::Open(const std::string& root) {
  BERTH_RETURN_IF_ERROR(MkdirAll(root, 0700));
  std::unique_ptr<LayerStore> store(new LayerStore(root + "/layers"));
  const std::string& dir = store->layers_dir_;
  BERTH_RETURN_IF_ERROR(MkdirAll(dir, 0700));
  // Leftovers of unpacks and removals cut short by a crash.
  BERTH_RETURN_IF_ERROR(RemoveAll(dir + "/tmp", kUnpackedTreeRemoval));
  BERTH_RETURN_IF_ERROR(MkdirAll(dir + "/tmp", 0700));
  BERTH_RETURN_IF_ERROR(MkdirAll(dir + "/l", 0700));
  BERTH_RETURN_IF_ERROR(MkdirAll(store->EmptyDir(), 0755));
  BERTH_ASSIGN_OR_RETURN(auto broken, store->CheckIntegrity());
  spdlog::info("layer store {}: {} layers, {} set aside", dir, store->List().size(), broken.size());
  return store;
}

std::string LayerStore::EmptyDir() const {
  return layers_dir_ + "/empty";
}

Result<LayerInfo> LayerStore::LoadLayer(const std::string& hex) {
  const std::string dir = layers_dir_ + "/" + hex;
  BERTH_ASSIGN_OR_RETURN(std::string text,
                         ReadFile(dir + "/meta.json", kMaxMetaBytes, FinalSymlink::kRefuse));
  LayerInfo info;
  try {
    auto j = nlohmann::json::parse(text);
    info.chain_id = j.at("chain_id").get<std::string>();
    info.diff_id = j.at("diff_id").get<std::string>();
    info.parent_chain_id = j.at("parent").get<std::string>();
    info.blob_digest = j.value("blob_digest", "");
    info.blob_size = internal::ByteCountMember(j, "blob_size", /*required=*/false);
    info.unpacked_bytes = internal::ByteCountMember(j, "unpacked_bytes", /*required=*/false);
    info.short_id = j.at("short_id").get<std::string>();
  } catch (const std::exception& e) {
    return InvalidArgument("layer " + hex + ": meta.json is corrupt: " + e.what());
  }
  if (info.chain_id != "sha256:" + hex || !IsSha256Digest(info.diff_id) ||
      (!info.parent_chain_id.empty() && !IsSha256Digest(info.parent_chain_id)) ||
      !IsShortId(info.short_id)) {
    return InvalidArgument("layer " + hex + ": meta.json does not match its directory");
  }
  if (info.chain_id != ChainId(info.parent_chain_id, info.diff_id)) {
    return InvalidArgument("layer " + hex + ": chain ID does not follow from parent and diff ID");
  }
  struct stat st;
  if (::lstat((dir + "/diff").c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return InvalidArgument("layer " + hex + ": diff directory missing");
  }
  // The short link is recreated when a crash came between rename and symlink.
  const std::string link = layers_dir_ + "/l/" + info.short_id;
  char buf[256];
  ssize_t n = ::readlink(link.c_str(), buf, sizeof buf);
  if (n < 0 || std::string_view(buf, static_cast<size_t>(n)) != LinkTarget(hex)) {
    ::unlink(link.c_str());
    if (::symlink(LinkTarget(hex).c_str(), link.c_str()) != 0) {
      return ErrnoError("layer " + hex + ": recreate short link " + link, errno);
    }
  }
  return info;
}

Result<std::vector<std::string>> LayerStore::CheckIntegrity() {
  std::map<std::string, LayerInfo> good;
  std::vector<std::string> broken;
  for (const auto& name : ListDirOrEmpty(layers_dir_)) {
    if (!IsSha256Hex(name)) continue;  // l/, tmp/, empty/
    auto info = LoadLayer(name);
    if (info.ok()) {
      good.emplace(info->chain_id, *info);
      continue;
    }
    spdlog::warn("layer store: setting aside layer {}: {}", name, info.status().ToString());
    const std::string aside = layers_dir_ + "/tmp/broken-" + name + "-" + RandomName(8);
    if (::rename((layers_dir_ + "/" + name).c_str(), aside.c_str()) != 0) {
      return ErrnoError("set aside layer " + name, errno);
    }
    BERTH_RETURN_IF_ERROR(RemoveAll(aside, kUnpackedTreeRemoval));
    broken.push_back("sha256:" + name);
  }
  std::lock_guard lock(mu_);
  for (const auto& b : broken) layers_.erase(b);
  for (auto& [id, info] : good) layers_[id] = std::move(info);
  // Short links whose layer is gone (a crash during removal).
  for (const auto& name : ListDirOrEmpty(layers_dir_ + "/l")) {
    bool used = false;
    for (const auto& [id, info] : layers_) used = used || info.short_id == name;
    if (!used) ::unlink((layers_dir_ + "/l/" + name).c_str());
  }
  return broken;
}

Status LayerStore::BoundUnpack(const LayerBlob& blob, const std::string& dir,
                               UnpackOptions* opts) const {
  UnpackLimits limits;
  {
    std::lock_guard lock(mu_);
    limits = limits_;
  }
  struct statvfs vfs {};
  if (::statvfs(dir.c_str(), &vfs) != 0) return ErrnoError("statvfs " + dir, errno);
  const uint64_t free_bytes = uint64_t(vfs.f_bavail) * vfs.f_frsize;
  const uint64_t needed = blob.size * UnpackLimits::kFreeSpaceFactor;
  if (free_bytes < needed) {
    return ResourceExhausted("the image filesystem (" + layers_dir_ + ") has " +
                             std::to_string(free_bytes) + " bytes free; unpacking a blob of " +
                             std::to_string(blob.size) + " bytes needs at least " +
                             std::to_string(needed));
  }
  opts->max_decompressed_bytes = limits.max_unpacked_bytes;
  opts->limit_name = "image_layer_max_unpacked_gib";
  if (limits.max_expansion_ratio > 0 && blob.size > 0) {
    const uint64_t by_ratio = std::max(blob.size > UINT64_MAX / limits.max_expansion_ratio
                                           ? UINT64_MAX
                                           : blob.size * limits.max_expansion_ratio,
                                       UnpackLimits::kExpansionRatioFloor);
    if (by_ratio < opts->max_decompressed_bytes) {
      opts->max_decompressed_bytes = by_ratio;
      opts->limit_name = "image_layer_max_expansion_ratio " +
                         std::to_string(limits.max_expansion_ratio) + " x the compressed " +
                         std::to_string(blob.size) + " bytes";
    }
  }
  if (free_bytes < opts->max_decompressed_bytes) {
    opts->max_decompressed_bytes = free_bytes;
    opts->limit_name = "the free space of the image filesystem " + layers_dir_;
  }
  return OkStatus();
}

Result<LayerInfo> LayerStore::UnpackInto(const LayerBlob& blob, const std::string& known_chain,
                                         const CancelToken& cancel) {
  // 1. A private temp directory; any failure removes it whole.
  const std::string tmp = layers_dir_ + "/tmp/" + RandomName(16);
  BERTH_RETURN_IF_ERROR(MkdirAll(tmp, 0700));
  bool keep_tmp = false;
  struct Cleanup {
    const std::string& path;
    bool& keep;
    ~Cleanup() {
      if (keep) return;
      Status s = RemoveAll(path, kUnpackedTreeRemoval);
      if (!s.ok()) spdlog::warn("layer store: cleanup of {}: {}", path, s.ToString());
    }
  } cleanup{tmp, keep_tmp};
  BERTH_RETURN_IF_ERROR(MkdirAll(tmp + "/diff", 0755));

  // 2. Unpack (bounded, cancellable) and verify.
  UnpackOptions opts;
  opts.expected_diff_id = blob.diff_id;
  opts.rootless = rootless_;
  opts.cancel = cancel;
  BERTH_RETURN_IF_ERROR(BoundUnpack(blob, tmp, &opts));
  auto unpacked = UnpackLayer(blob.path, tmp + "/diff", opts);
  if (!unpacked.ok()) return unpacked.status();
  LayerInfo info;
  info.diff_id = unpacked->diff_id;
  info.parent_chain_id = blob.parent_chain_id;
  info.chain_id = known_chain.empty() ? ChainId(info.parent_chain_id, info.diff_id) : known_chain;
  info.blob_digest = blob.digest;
  info.blob_size = blob.size;
  info.unpacked_bytes = unpacked->unpacked_bytes;
  info.short_id = RandomName(kShortIdLen, /*upper=*/true);
  const std::string hex(DigestHex(info.chain_id));

  // 3. Metadata, then everything flushed, so the rename publishes a complete layer.
  nlohmann::json meta = {{"chain_id", info.chain_id},      {"diff_id", info.diff_id},
                         {"parent", info.parent_chain_id}, {"blob_digest", info.blob_digest},
                         {"blob_size", info.blob_size},    {"unpacked_bytes", info.unpacked_bytes},
                         {"short_id", info.short_id}};
  BERTH_RETURN_IF_ERROR(WriteFileAtomic(tmp + "/link", info.short_id));
  BERTH_RETURN_IF_ERROR(WriteFileAtomic(tmp + "/parent", info.parent_chain_id));
  BERTH_RETURN_IF_ERROR(WriteFileAtomic(tmp + "/meta.json", meta.dump()));
  {
    ScopedFd fd(::open(tmp.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd.valid() || ::syncfs(fd.get()) != 0) return ErrnoError("sync layer " + tmp, errno);
  }

  // 4. Publish: rename, short link, index — together under the lock so
  //    Detach and CheckIntegrity never see a half-published layer.
  std::lock_guard lock(mu_);
  if (auto it = layers_.find(info.chain_id); it != layers_.end()) return it->second;
  const std::string final_dir = layers_dir_ + "/" + hex;
  if (::rename(tmp.c_str(), final_dir.c_str()) != 0) {
    return ErrnoError("publish layer " + info.chain_id + " at " + final_dir, errno);
  }
  keep_tmp = true;
  const std::string link = layers_dir_ + "/l/" + info.short_id;
  if (::symlink(LinkTarget(hex).c_str(), link.c_str()) != 0) {
    // The layer is complete; Open() recreates the link from the `link` file.
    spdlog::warn("layer {}: short link {}: {}", info.chain_id, link, std::strerror(errno));
  }
  if (Status s = FsyncDir(layers_dir_); !s.ok()) spdlog::warn("{}", s.ToString());
  layers_[info.chain_id] = info;
  spdlog::info("layer {} unpacked ({} bytes, diff ID {})", info.chain_id, info.unpacked_bytes,
               info.diff_id);
  return info;
}

Result<std::string> LayerStore::Detach(const std::string& chain_id) {
  std::lock_guard lock(mu_);
  auto it = layers_.find(chain_id);
  if (it == layers_.end() || leases_.contains(chain_id) || unpacking_.contains(chain_id)) {
    return std::string();
  }
  const std::string hex(DigestHex(chain_id));
  const std::string dest = layers_dir_ + "/tmp/rm-" + hex + "-" + RandomName(8);
  if (::rename((layers_dir_ + "/" + hex).c_str(), dest.c_str()) != 0) {
    return ErrnoError("detach layer " + chain_id, errno);
  }
  ::unlink((layers_dir_ + "/l/" + it->second.short_id).c_str());
  layers_.erase(it);
  return dest;
}

}  // namespace berth::image
