// CNI network configuration: parsing one file, choosing the network from a
// directory the way CNI runtimes do, and finding plugin binaries.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "pkg/base/status.h"

namespace berth::cni {

// One plugin of a list, as written in the file (name and cniVersion are
// injected from the list at call time).
struct PluginConf {
  std::string type;            // binary name, checked to be a plain file name
  bool port_mappings = false;  // declares capabilities.portMappings
  nlohmann::json conf;         // the plugin's object, verbatim
};

struct NetworkConfigList {
  std::string name;
  std::string cni_version;
  bool disable_check = false;
  std::vector<PluginConf> plugins;
  std::string source_file;  // "" when not read from a file (e.g. from the cache)

  // The list as a conflist document (for the cache).
  nlohmann::json ToJson() const;
};

// Versions whose config and result formats berth understands.
bool IsSupportedCniVersion(std::string_view version);
// Versions at or past 0.4.0: prevResult on DEL, and CHECK exists.
bool VersionAtLeast040(std::string_view version);

// A network or plugin name usable in a file name and a log line.
Status ValidateNetworkName(std::string_view name);

// Parses a .conflist document.
Result<NetworkConfigList> ParseConfList(std::string_view bytes);
// Parses a single-plugin .conf/.json document, wrapping it into a list. A
// document that carries a "plugins" array is read as a list.
Result<NetworkConfigList> ParseConf(std::string_view bytes);
// Parses the cached conflist JSON.
Result<NetworkConfigList> ConfListFromJson(const nlohmann::json& doc);

// The first directory in `plugin_dirs` holding an executable file `type`;
// NotFound names the type and the directories.
Result<std::string> FindPluginBinary(const std::vector<std::string>& plugin_dirs,
                                     std::string_view type);

struct SkippedConfig {
  std::string file;
  std::string reason;
};

struct LoadedConfig {
  std::shared_ptr<const NetworkConfigList> list;  // null when none is valid
  std::vector<SkippedConfig> skipped;             // invalid files, in order
  std::string reason;                             // why list is null
};

// Reads the lexically first valid .conflist/.conf/.json in `conf_dir`. A file
// is valid when it parses, names a supported version, and every plugin binary
// exists in `plugin_dirs`. Never fails: "no config" is a LoadedConfig with a
// reason, which the daemon reports as NetworkReady=false.
LoadedConfig LoadConfDir(const std::string& conf_dir, const std::vector<std::string>& plugin_dirs);

}  // namespace berth::cni
