// ImageRecord: what the image store keeps per image, and the parsed parts of
// the OCI image config that container creation needs.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "pkg/base/status.h"

namespace berth::image {

// The "config" object of an OCI/Docker image config (only what berth uses).
struct ImageConfig {
  std::vector<std::string> entrypoint;
  std::vector<std::string> cmd;
  std::vector<std::string> env;  // "KEY=value"
  std::string working_dir;
  std::string user;
  std::vector<std::string> volumes;        // sorted mount paths
  std::vector<std::string> exposed_ports;  // sorted, e.g. "80/tcp"
  std::string stop_signal;
  std::map<std::string, std::string> labels;
  // Top-level fields.
  std::string os;
  std::string architecture;
  std::vector<std::string> diff_ids;  // rootfs.diff_ids, bottom layer first
};

// Largest image config accepted (it comes from a registry: hostile).
inline constexpr size_t kMaxImageConfigBytes = 8 * 1024 * 1024;

// Parses an image config blob. Wrong types, a missing or non-"layers" rootfs,
// or a diff ID that is not a sha256 digest is InvalidArgument.
Result<ImageConfig> ParseImageConfig(std::string_view config_json);

struct ImageRecord {
  std::string id;                         // config digest, "sha256:<hex>"
  std::vector<std::string> repo_tags;     // "docker.io/library/busybox:latest"
  std::vector<std::string> repo_digests;  // "docker.io/library/busybox@sha256:<manifest>"
  // Size as containerd's CRI reports it: the compressed layer blobs plus the
  // config blob (what the registry transfers), not the unpacked size.
  uint64_t size = 0;
  uint64_t unpacked_size = 0;          // sum of the layers' unpacked file sizes
  std::vector<std::string> chain_ids;  // bottom layer first
  std::string config_json;             // raw config blob, byte for byte
  ImageConfig config;                  // parsed from config_json
  std::string manifest_media_type;     // informational
  int64_t created_unix_nanos = 0;      // when berth stored the image
  bool pinned = false;                 // computed at lookup time, never stored

  // The top layer's chain ID ("" for an image without layers).
  std::string TopChainId() const { return chain_ids.empty() ? "" : chain_ids.back(); }
};

// Builds a record from a config blob: id = sha256 of the blob, config parsed,
// chain IDs computed from rootfs.diff_ids.
Result<ImageRecord> RecordFromConfig(std::string_view config_json);

// The on-disk form (JSON) of a record, and back. FromJson re-parses the config
// and checks id == sha256(config) and chain IDs, so a tampered file is refused.
std::string RecordToJson(const ImageRecord& record);
Result<ImageRecord> RecordFromJson(std::string_view json);

}  // namespace berth::image
