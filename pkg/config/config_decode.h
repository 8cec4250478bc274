// Strict YAML → Config decoding: every key known, every type checked, errors
// name the dotted key path ("cni.plugin_dirs[1]").
#pragma once

#include <yaml-cpp/yaml.h>

#include "pkg/base/status.h"
#include "pkg/config/config.h"

namespace berth::config {

// Merges `overlay` over `base`: maps key by key (recursively), anything else
// replaced; a null overlay value keeps the base. Keys absent from `base` are
// added. A key that is not a scalar, or one given twice, is InvalidArgument
// naming its dotted path (yaml-cpp would throw on such keys).
Result<YAML::Node> MergeNodes(const YAML::Node& base, const YAML::Node& overlay);

// Decodes a merged document over the defaults already in `*config`.
Status Decode(const YAML::Node& root, Config* config);

// Parses "90", "90s", "2m", "1m30s", "1h" into seconds.
Result<int> ParseDurationSeconds(const std::string& text);

}  // namespace berth::config
