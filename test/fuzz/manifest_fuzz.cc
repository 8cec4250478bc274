// Fuzz target: what a registry sends about an image: manifests, indexes
// (manifest lists) and image configs (pkg/registry/manifest,
// pkg/image/image_record).
//
// Input: one selector byte (its low two bits pick the response Content-Type
// the body arrives with), then the body. The body goes through every parser,
// as ClassifyManifest would route it and as a config blob. Properties:
//  - a parsed manifest's config and layers have valid digests and sizes, and
//    every layer's media type is one berth can unpack;
//  - a parsed index has valid entries, and the platform selected for this
//    host is one of them, with this host's os and architecture;
//  - without a Content-Type, a body exactly one parser takes is classified
//    as that parser's kind;
//  - a parsed image config has valid diff IDs and sorted volume and port
//    lists; its record's ID is the blob's digest, with one chain ID per layer,
//    and the record survives its on-disk form (RecordToJson, RecordFromJson).
#include <algorithm>
#include <cstdint>
#include <string>

#include "pkg/base/digest.h"
#include "pkg/image/image_record.h"
#include "pkg/registry/manifest.h"
#include "test/fuzz/fuzz_support.h"

namespace {

using berth::IsSha256Digest;
using berth::Sha256Digest;
using berth::fuzz::Check;
namespace registry = berth::registry;
namespace image = berth::image;

void CheckDescriptor(const registry::Descriptor& d) {
  Check(IsSha256Digest(d.digest), "a descriptor's digest is valid");
  Check(d.size >= 0, "a descriptor's size is not negative");
}

bool CheckManifest(std::string_view body) {
  auto m = registry::ParseImageManifest(body, "fuzz manifest");
  if (!m.ok()) return false;
  CheckDescriptor(m->config);
  for (const registry::Descriptor& layer : m->layers) {
    CheckDescriptor(layer);
    Check(registry::LayerCompression(layer.media_type).ok(),
          "every layer of a parsed manifest can be unpacked");
  }
  return true;
}

bool CheckIndex(std::string_view body) {
  auto index = registry::ParseManifestIndex(body, "fuzz index");
  if (!index.ok()) return false;
  for (const registry::Descriptor& d : index->manifests) CheckDescriptor(d);
  const registry::Platform host = registry::HostPlatform();
  auto chosen = registry::SelectPlatform(*index, host, "fuzz index");
  if (chosen.ok()) {
    Check(std::find(index->manifests.begin(), index->manifests.end(), *chosen) !=
              index->manifests.end(),
          "the selected manifest is an entry of the index");
    Check(chosen->platform.has_value() && chosen->platform->os == host.os &&
              chosen->platform->architecture == host.architecture,
          "the selected manifest is for this host's os and architecture");
  }
  return true;
}

void CheckConfig(std::string_view body) {
  auto config = image::ParseImageConfig(body);
  auto record = image::RecordFromConfig(body);
  Check(config.ok() == record.ok(), "a config blob makes a record exactly when it parses");
  if (!config.ok()) return;
  for (const std::string& d : config->diff_ids) {
    Check(IsSha256Digest(d), "a diff ID is a valid digest");
  }
  Check(std::is_sorted(config->volumes.begin(), config->volumes.end()) &&
            std::is_sorted(config->exposed_ports.begin(), config->exposed_ports.end()),
        "volumes and exposed ports are sorted");
  Check(record->id == Sha256Digest(body), "a record's ID is its config's digest");
  Check(record->chain_ids.size() == config->diff_ids.size(), "one chain ID per layer");
  Check(record->config_json == body, "a record keeps the config byte for byte");
  auto stored = image::RecordFromJson(image::RecordToJson(*record));
  Check(stored.ok() && stored->id == record->id && stored->chain_ids == record->chain_ids &&
            stored->config_json == record->config_json,
        "a record survives its on-disk form");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static constexpr std::string_view kContentTypes[] = {"", registry::media::kOciManifest,
                                                       registry::media::kDockerList,
                                                       "application/json; charset=utf-8"};
  const std::string_view content_type = kContentTypes[data[0] & 3];
  const std::string_view body = berth::fuzz::AsText(data + 1, size - 1);

  const bool is_manifest = CheckManifest(body);
  const bool is_index = CheckIndex(body);
  auto kind = registry::ClassifyManifest(content_type, body, "fuzz manifest");
  // With no telling Content-Type the body decides: a body only one parser
  // takes is classified as that parser's kind, so the pull parses it as such.
  const bool generic = content_type.empty() || content_type.starts_with("application/json");
  if (generic && is_manifest != is_index) {
    Check(kind.ok() && *kind == (is_manifest ? registry::ManifestKind::kImage
                                             : registry::ManifestKind::kIndex),
          "an unambiguous body is classified as what parses it",
          kind.ok() ? "classified the other way" : kind.status().message());
  }
  CheckConfig(body);
  return 0;
}
