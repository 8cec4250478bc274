// RemoveImage: by tag, digest, ID or ID prefix. One of several tags is only
// untagged; an absent image is success (the call is idempotent); an image a
// container uses is FailedPrecondition (the store asks the in-use check).
#include <spdlog/spdlog.h>

#include "daemon/image_manager.h"
#include "pkg/base/quote.h"
#include "pkg/registry/reference.h"

namespace berth::daemon {

Status ImageManager::RemoveImage(const runtime::v1::RemoveImageRequest& req,
                                 runtime::v1::RemoveImageResponse*) {
  const std::string& wanted = req.image().image();
  if (wanted.empty()) return InvalidArgument("RemoveImage: image reference is empty");

  // The normalized name first (a tag or digest), then the string as written (an ID).
  Result<image::RemoveOutcome> outcome = image::RemoveOutcome::kAbsent;
  if (!registry::LooksLikeImageId(wanted) && !wanted.starts_with("sha256:")) {
    if (auto ref = registry::ParseReference(wanted); ref.ok()) {
      outcome =
          images_->RemoveReference(ref->digest.empty() ? ref->TagString() : ref->DigestString());
    }
  }
  if (outcome.ok() && *outcome == image::RemoveOutcome::kAbsent) {
    outcome = images_->RemoveReference(wanted);
  }
  if (!outcome.ok())
    return outcome.status().WithContext("remove image " + EscapeForMessage(wanted));

  switch (*outcome) {
    case image::RemoveOutcome::kAbsent:
      spdlog::debug("remove image {}: not present", EscapeForMessage(wanted));
      break;
    case image::RemoveOutcome::kUntagged:
      spdlog::info("image reference {} removed (image keeps its other tags)",
                   EscapeForMessage(wanted));
      break;
    case image::RemoveOutcome::kRemoved:
      spdlog::info("image {} removed", EscapeForMessage(wanted));
      break;
  }
  return OkStatus();
}

}  // namespace berth::daemon
