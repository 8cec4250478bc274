// OCI / Docker schema2 manifests and indexes: media types, parsing with
// validation of every field berth relies on, and platform selection.
//
// Manifests come from the network and are hostile: every digest is checked for
// form, sizes must be non-negative, unknown layer media types are refused and
// Docker schema1 is refused with an explicit error.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pkg/base/status.h"

namespace berth::registry {

namespace media {
inline constexpr std::string_view kOciIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view kOciManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kOciConfig = "application/vnd.oci.image.config.v1+json";
inline constexpr std::string_view kOciLayer = "application/vnd.oci.image.layer.v1.tar";
inline constexpr std::string_view kOciLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr std::string_view kOciLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd";
inline constexpr std::string_view kOciLayerNondistGzip =
    "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip";
inline constexpr std::string_view kDockerList =
    "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view kDockerManifest =
    "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view kDockerSchema1 =
    "application/vnd.docker.distribution.manifest.v1+json";
inline constexpr std::string_view kDockerSchema1Signed =
    "application/vnd.docker.distribution.manifest.v1+prettyjws";
inline constexpr std::string_view kDockerConfig = "application/vnd.docker.container.image.v1+json";
inline constexpr std::string_view kDockerLayerGzip =
    "application/vnd.docker.image.rootfs.diff.tar.gzip";
inline constexpr std::string_view kDockerForeignLayerGzip =
    "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";
}  // namespace media

// The Accept header value for manifest requests (no schema1).
std::string ManifestAcceptHeader();

enum class Compression { kNone, kGzip, kZstd };

struct Platform {
  std::string os;
  std::string architecture;
  std::string variant;
  bool operator==(const Platform&) const = default;
};

struct Descriptor {
  std::string media_type;
  std::string digest;  // validated "sha256:<hex>"
  int64_t size = 0;    // validated >= 0
  std::vector<std::string> urls;
  std::optional<Platform> platform;  // index entries only
  bool operator==(const Descriptor&) const = default;
};

struct ImageManifest {
  std::string media_type;
  Descriptor config;
  std::vector<Descriptor> layers;
};

struct ManifestIndex {
  std::string media_type;
  std::vector<Descriptor> manifests;
};

enum class ManifestKind { kImage, kIndex };

// Decides what `body` is from the response Content-Type and the document's own
// mediaType / schemaVersion. Schema1 is FailedPrecondition; anything else
// unknown is InvalidArgument. `what` names the manifest in errors.
Result<ManifestKind> ClassifyManifest(std::string_view content_type, std::string_view body,
                                      std::string_view what);

Result<ImageManifest> ParseImageManifest(std::string_view body, std::string_view what);
Result<ManifestIndex> ParseManifestIndex(std::string_view body, std::string_view what);

// The layer's compression, or InvalidArgument for a media type berth cannot unpack.
Result<Compression> LayerCompression(std::string_view media_type);

// linux/<this arch>[/<variant>] in OCI (GOARCH) spelling.
Platform HostPlatform();

// The index entry to pull for `want`: os and architecture must match; for the
// variant, an exact match wins, arm64 treats "" and "v8" alike, and arm accepts
// a lower variant (v6 runs on v7). NotFound lists the platforms offered.
Result<Descriptor> SelectPlatform(const ManifestIndex& index, const Platform& want,
                                  std::string_view what);

}  // namespace berth::registry
