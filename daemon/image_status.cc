// ImageStatus: one image, or (as CRI requires) an empty response without an
// error when it is absent; `verbose` adds the image config as JSON.
#include <nlohmann/json.hpp>

#include "daemon/image_manager.h"

namespace berth::daemon {

namespace {

std::string VerboseInfo(const image::ImageRecord& record) {
  nlohmann::json info = {
      {"id", record.id},
      {"chainID", record.TopChainId()},
      {"chainIDs", record.chain_ids},
      {"size", record.size},
      {"unpackedSize", record.unpacked_size},
      {"manifestMediaType", record.manifest_media_type},
      {"created", record.created_unix_nanos},
      {"pinned", record.pinned},
  };
  // The config was validated when stored; parse failures are impossible but
  // must not break the RPC, so fall back to the raw text.
  nlohmann::json spec =
      nlohmann::json::parse(record.config_json, nullptr, /*allow_exceptions=*/false);
  if (spec.is_discarded()) {
    info["imageSpec"] = record.config_json;
  } else {
    info["imageSpec"] = std::move(spec);
  }
  return info.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

Status ImageManager::ImageStatus(const runtime::v1::ImageStatusRequest& req,
                                 runtime::v1::ImageStatusResponse* resp) {
  const std::string& wanted = req.image().image();
  if (wanted.empty()) return InvalidArgument("ImageStatus: image reference is empty");
  auto found = Find(wanted);
  if (!found.ok()) {
    if (found.status().code() == Code::kNotFound) return OkStatus();
    return found.status();
  }
  *resp->mutable_image() = ToCriImage(*found);
  if (req.verbose()) (*resp->mutable_info())["info"] = VerboseInfo(*found);
  return OkStatus();
}

}  // namespace berth::daemon
