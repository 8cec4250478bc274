#include "daemon/image_manager.h"

#include <spdlog/spdlog.h>

#include "pkg/fs/dir.h"
#include "pkg/registry/reference.h"

namespace berth::daemon {

namespace {

registry::RegistryHostConfigs HostConfigs(const config::Config& config) {
  registry::RegistryHostConfigs hosts;
  for (const auto& [host, entry] : config.registries) {
    hosts[host] = registry::RegistryHostConfig{entry.mirrors, entry.insecure};
  }
  return hosts;
}

}  // namespace

ImageManager::ImageManager(config::Config config, std::string image_root)
    : config_(std::move(config)),
      image_root_(std::move(image_root)),
      downloads_dir_(image_root_ + "/downloads") {}

ImageManager::~ImageManager() {
  CancelFlightsAndWait();
}

Result<std::unique_ptr<ImageManager>> ImageManager::Open(const config::Config& config) {
  std::unique_ptr<ImageManager> m(new ImageManager(config, config.root + "/image"));

  // 1. Blobs of pulls a previous berthd did not finish are useless now.
  BERTH_RETURN_IF_ERROR(MkdirAll(m->image_root_, 0700));
  BERTH_RETURN_IF_ERROR(RemoveAll(m->downloads_dir_).WithContext("clean image downloads"));
  BERTH_RETURN_IF_ERROR(MkdirAll(m->downloads_dir_, 0700));

  // 2. The stores: layers first, the image store loads records against them
  //    and removes layers no image references (a pull killed midway).
  BERTH_ASSIGN_OR_RETURN(m->layers_, image::LayerStore::Open(m->image_root_));
  m->layers_->SetUnpackLimits(
      image::UnpackLimits{uint64_t(config.image_layer_limits.max_unpacked_gib) << 30,
                          uint64_t(config.image_layer_limits.max_expansion_ratio)});
  BERTH_ASSIGN_OR_RETURN(m->images_, image::ImageStore::Open(m->image_root_, m->layers_.get()));

  // 3. Pinned images: the configured patterns and the pause image.
  std::vector<std::string> pinned;
  for (const std::string& p : config.pinned_images) {
    // Exact names are normalized so "pause:3.9" pins docker.io/library/pause:3.9;
    // globs are matched as written.
    if (!p.empty() && p.back() != '*') {
      if (auto ref = registry::ParseReference(p); ref.ok()) {
        pinned.push_back(ref->String());
        continue;
      }
    }
    pinned.push_back(p);
  }
  if (!config.pause_image.empty()) {
    auto ref = registry::ParseReference(config.pause_image);
    pinned.push_back(ref.ok() ? ref->String() : config.pause_image);
  }
  m->images_->SetPinnedPatterns(std::move(pinned));
  m->SetInUseCheck(nullptr);

  // 4. Network side.
  registry::RegistryClientOptions ropts;
  ropts.hosts = HostConfigs(config);
  m->registry_ = std::make_unique<registry::RegistryClient>(std::move(ropts));
  credentials::CredentialsOptions copts;
  copts.auth_file = config.auth_file;
  copts.provider_config = config.credential_providers.config;
  copts.provider_bin_dir = config.credential_providers.bin_dir;
  BERTH_ASSIGN_OR_RETURN(m->credentials_, credentials::CredentialResolver::Create(copts));

  spdlog::info("images: {} image(s), {} layer(s) under {}", m->images_->List().size(),
               m->layers_->List().size(), m->image_root_);
  return m;
}

void ImageManager::SetInUseCheck(image::ImageStore::InUseFn in_use) {
  // No containers exist yet: until the daemon installs a real check, nothing is in use.
  if (!in_use) in_use = [](const std::string&) { return false; };
  images_->SetInUseCheck(std::move(in_use));
}

Result<image::ImageRecord> ImageManager::Find(std::string_view ref) const {
  if (ref.empty()) return InvalidArgument("image reference is empty");
  // A bare ID or ID prefix is not a repository name: look it up as written.
  if (!registry::LooksLikeImageId(ref) && !ref.starts_with("sha256:")) {
    if (auto parsed = registry::ParseReference(ref); parsed.ok()) {
      // The store keys tags and digests separately; a digest identifies the image best.
      auto found =
          images_->Find(parsed->digest.empty() ? parsed->TagString() : parsed->DigestString());
      if (found.ok() || found.status().code() != Code::kNotFound) return found;
    }
  }
  return images_->Find(ref);
}

}  // namespace berth::daemon
