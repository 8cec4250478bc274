#include "pkg/image/image_record.h"

#include <algorithm>

#include "nlohmann/json.hpp"
#include "pkg/base/digest.h"
#include "pkg/image/chain_id.h"
#include "pkg/image/record_json.h"

namespace berth::image {
namespace {

using nlohmann::json;

std::vector<std::string> StringList(const json& obj, const char* key) {
  if (!obj.contains(key) || obj.at(key).is_null()) return {};
  return obj.at(key).get<std::vector<std::string>>();
}

std::string String(const json& obj, const char* key) {
  if (!obj.contains(key) || obj.at(key).is_null()) return {};
  return obj.at(key).get<std::string>();
}

// Volumes and ExposedPorts are objects whose keys matter ({"/data": {}}).
std::vector<std::string> Keys(const json& obj, const char* key) {
  std::vector<std::string> out;
  if (!obj.contains(key) || obj.at(key).is_null()) return out;
  for (const auto& [k, v] : obj.at(key).items()) out.push_back(k);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

Result<ImageConfig> ParseImageConfig(std::string_view config_json) {
  if (config_json.size() > kMaxImageConfigBytes) {
    return InvalidArgument("image config is " + std::to_string(config_json.size()) +
                           " bytes, over the limit");
  }
  ImageConfig out;
  try {
    json j = json::parse(config_json);
    if (!j.is_object()) return InvalidArgument("image config is not a JSON object");
    out.os = String(j, "os");
    out.architecture = String(j, "architecture");
    if (j.contains("config") && !j.at("config").is_null()) {
      const json& c = j.at("config");
      out.entrypoint = StringList(c, "Entrypoint");
      out.cmd = StringList(c, "Cmd");
      out.env = StringList(c, "Env");
      out.working_dir = String(c, "WorkingDir");
      out.user = String(c, "User");
      out.stop_signal = String(c, "StopSignal");
      out.volumes = Keys(c, "Volumes");
      out.exposed_ports = Keys(c, "ExposedPorts");
      if (c.contains("Labels") && !c.at("Labels").is_null()) {
        out.labels = c.at("Labels").get<std::map<std::string, std::string>>();
      }
    }
    const json& rootfs = j.at("rootfs");
    if (String(rootfs, "type") != "layers") {
      return InvalidArgument("image config rootfs.type is not \"layers\"");
    }
    out.diff_ids = StringList(rootfs, "diff_ids");
  } catch (const std::exception& e) {
    return InvalidArgument(std::string("image config is malformed: ") + e.what());
  }
  for (const auto& d : out.diff_ids) {
    if (!IsSha256Digest(d)) {
      return InvalidArgument("image config diff ID \"" + d.substr(0, 100) +
                             "\" is not a sha256 digest");
    }
  }
  return out;
}

Result<ImageRecord> RecordFromConfig(std::string_view config_json) {
  ImageRecord r;
  BERTH_ASSIGN_OR_RETURN(r.config, ParseImageConfig(config_json));
  BERTH_ASSIGN_OR_RETURN(r.chain_ids, ChainIds(r.config.diff_ids));
  r.id = Sha256Digest(config_json);
  r.config_json = std::string(config_json);
  return r;
}

std::string RecordToJson(const ImageRecord& r) {
  json j = {{"version", 1},
            {"id", r.id},
            {"repo_tags", r.repo_tags},
            {"repo_digests", r.repo_digests},
            {"size", r.size},
            {"unpacked_size", r.unpacked_size},
            {"chain_ids", r.chain_ids},
            {"manifest_media_type", r.manifest_media_type},
            {"created_unix_nanos", r.created_unix_nanos},
            {"config", r.config_json}};
  return j.dump(2);
}

Result<ImageRecord> RecordFromJson(std::string_view text) {
  ImageRecord r;
  std::string config;
  try {
    json j = json::parse(text);
    r.id = j.at("id").get<std::string>();
    r.repo_tags = j.at("repo_tags").get<std::vector<std::string>>();
    r.repo_digests = j.at("repo_digests").get<std::vector<std::string>>();
    r.size = internal::ByteCountMember(j, "size", /*required=*/true);
    r.unpacked_size = internal::ByteCountMember(j, "unpacked_size", /*required=*/false);
    r.chain_ids = j.at("chain_ids").get<std::vector<std::string>>();
    r.manifest_media_type = j.value("manifest_media_type", "");
    r.created_unix_nanos = j.value("created_unix_nanos", int64_t{0});
    config = j.at("config").get<std::string>();
  } catch (const std::exception& e) {
    return InvalidArgument(std::string("image record is malformed: ") + e.what());
  }
  BERTH_ASSIGN_OR_RETURN(ImageRecord fresh, RecordFromConfig(config));
  if (fresh.id != r.id) {
    return InvalidArgument("image record " + r.id.substr(0, 80) + " holds a config with digest " +
                           fresh.id);
  }
  if (fresh.chain_ids != r.chain_ids) {
    return InvalidArgument("image record " + r.id + " lists chain IDs its config does not give");
  }
  r.config = std::move(fresh.config);
  r.config_json = std::move(config);
  return r;
}

}  // namespace berth::image
