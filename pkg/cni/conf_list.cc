#include "pkg/cni/conf_list.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <fstream>

#include "pkg/fs/dir.h"

namespace berth::cni {
namespace {

using nlohmann::json;

constexpr size_t kMaxConfBytes = 1 << 20;  // a network config is a few hundred bytes

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

Result<json> ParseObject(std::string_view bytes) {
  json doc = json::parse(bytes.begin(), bytes.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return InvalidArgument("not valid JSON");
  if (!doc.is_object()) return InvalidArgument("not a JSON object");
  return doc;
}

// A string member, or "" when absent; a member of another type is an error.
Result<std::string> StringMember(const json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return std::string();
  if (!it->is_string()) return InvalidArgument(std::string("\"") + key + "\" is not a string");
  return it->get<std::string>();
}

Result<PluginConf> ParsePlugin(const json& obj, size_t index) {
  std::string where = "plugin " + std::to_string(index);
  if (!obj.is_object()) return InvalidArgument(where + " is not a JSON object");
  BERTH_ASSIGN_OR_RETURN(std::string type, StringMember(obj, "type"));
  if (type.empty()) return InvalidArgument(where + " has no \"type\"");
  // The type becomes a path component under the plugin dirs.
  if (type.find('/') != std::string::npos || type == "." || type == ".." ||
      type.find('\0') != std::string::npos) {
    return InvalidArgument(where + " has an invalid type \"" + type + "\"");
  }
  PluginConf plugin;
  plugin.type = type;
  plugin.conf = obj;
  auto caps = obj.find("capabilities");
  if (caps != obj.end() && !caps->is_null()) {
    if (!caps->is_object()) return InvalidArgument(where + " \"capabilities\" is not an object");
    auto pm = caps->find("portMappings");
    plugin.port_mappings = pm != caps->end() && pm->is_boolean() && pm->get<bool>();
  }
  return plugin;
}

Status CheckListHeader(const NetworkConfigList& list) {
  if (list.cni_version.empty()) return InvalidArgument("missing \"cniVersion\"");
  if (!IsSupportedCniVersion(list.cni_version)) {
    return InvalidArgument("unsupported cniVersion \"" + list.cni_version +
                           "\" (supported: 0.3.0, 0.3.1, 0.4.0, 1.0.0, 1.1.0)");
  }
  BERTH_RETURN_IF_ERROR(ValidateNetworkName(list.name));
  return OkStatus();
}

Result<NetworkConfigList> ListFromObject(const json& doc) {
  NetworkConfigList list;
  BERTH_ASSIGN_OR_RETURN(list.name, StringMember(doc, "name"));
  BERTH_ASSIGN_OR_RETURN(list.cni_version, StringMember(doc, "cniVersion"));
  BERTH_RETURN_IF_ERROR(CheckListHeader(list));
  auto dc = doc.find("disableCheck");
  if (dc != doc.end()) {
    // Older tools write the flag as a string.
    list.disable_check = (dc->is_boolean() && dc->get<bool>()) ||
                         (dc->is_string() && dc->get<std::string>() == "true");
  }
  auto plugins = doc.find("plugins");
  if (plugins == doc.end() || !plugins->is_array()) {
    return InvalidArgument("missing \"plugins\" array");
  }
  if (plugins->empty()) return InvalidArgument("\"plugins\" is empty");
  for (size_t i = 0; i < plugins->size(); ++i) {
    BERTH_ASSIGN_OR_RETURN(PluginConf plugin, ParsePlugin((*plugins)[i], i));
    list.plugins.push_back(std::move(plugin));
  }
  return list;
}

Result<std::string> ReadSmallFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return ErrnoError("open " + path, errno);
  std::string data;
  std::array<char, 8192> buf;
  while (in.read(buf.data(), buf.size()) || in.gcount() > 0) {
    data.append(buf.data(), static_cast<size_t>(in.gcount()));
    if (data.size() > kMaxConfBytes) return InvalidArgument("file is larger than 1 MiB");
  }
  return data;
}

}  // namespace

bool IsSupportedCniVersion(std::string_view v) {
  return v == "0.3.0" || v == "0.3.1" || v == "0.4.0" || v == "1.0.0" || v == "1.1.0";
}

bool VersionAtLeast040(std::string_view v) {
  return v == "0.4.0" || v == "1.0.0" || v == "1.1.0";
}

Status ValidateNetworkName(std::string_view name) {
  if (name.empty()) return InvalidArgument("missing network \"name\"");
  if (name.size() > 128) return InvalidArgument("network name is longer than 128 characters");
  auto ok = [](char c, bool first) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (!first && (c == '_' || c == '.' || c == '-'));
  };
  for (size_t i = 0; i < name.size(); ++i) {
    if (!ok(name[i], i == 0)) {
      return InvalidArgument("invalid network name \"" + std::string(name) +
                             "\" (letters, digits, '_', '.', '-'; starting alphanumeric)");
    }
  }
  return OkStatus();
}

json NetworkConfigList::ToJson() const {
  json doc = json::object();
  doc["cniVersion"] = cni_version;
  doc["name"] = name;
  if (disable_check) doc["disableCheck"] = true;
  doc["plugins"] = json::array();
  for (const auto& p : plugins) doc["plugins"].push_back(p.conf);
  return doc;
}

Result<NetworkConfigList> ParseConfList(std::string_view bytes) {
  BERTH_ASSIGN_OR_RETURN(json doc, ParseObject(bytes));
  return ListFromObject(doc);
}

Result<NetworkConfigList> ConfListFromJson(const json& doc) {
  if (!doc.is_object()) return InvalidArgument("network config is not a JSON object");
  return ListFromObject(doc);
}

Result<NetworkConfigList> ParseConf(std::string_view bytes) {
  BERTH_ASSIGN_OR_RETURN(json doc, ParseObject(bytes));
  if (doc.contains("plugins")) return ListFromObject(doc);
  NetworkConfigList list;
  BERTH_ASSIGN_OR_RETURN(list.name, StringMember(doc, "name"));
  BERTH_ASSIGN_OR_RETURN(list.cni_version, StringMember(doc, "cniVersion"));
  BERTH_RETURN_IF_ERROR(CheckListHeader(list));
  BERTH_ASSIGN_OR_RETURN(PluginConf plugin, ParsePlugin(doc, 0));
  list.plugins.push_back(std::move(plugin));
  return list;
}

Result<std::string> FindPluginBinary(const std::vector<std::string>& plugin_dirs,
                                     std::string_view type) {
  for (const auto& dir : plugin_dirs) {
    if (dir.empty()) continue;
    std::string path = dir + "/" + std::string(type);
    struct stat st {};
    if (stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(path.c_str(), X_OK) == 0) {
      return path;
    }
  }
  std::string dirs;
  for (const auto& dir : plugin_dirs) dirs += (dirs.empty() ? "" : ", ") + dir;
  return NotFound("CNI plugin \"" + std::string(type) + "\" not found in [" + dirs + "]");
}

LoadedConfig LoadConfDir(const std::string& conf_dir, const std::vector<std::string>& plugin_dirs) {
  LoadedConfig out;
  // Sorted by name: the first loadable file is the default network. A
  // directory that cannot be read holds no networks.
  for (const std::string& name : ListDirOrEmpty(conf_dir)) {
    if (name.starts_with(".")) continue;  // editors' temp files, "..data" symlinks
    if (!EndsWith(name, ".conflist") && !EndsWith(name, ".conf") && !EndsWith(name, ".json")) {
      continue;
    }
    std::string path = conf_dir + "/" + name;
    auto skip = [&](const std::string& reason) { out.skipped.push_back({path, reason}); };
    struct stat st {};
    if (stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
      skip("not a regular file");
      continue;
    }
    auto bytes = ReadSmallFile(path);
    if (!bytes.ok()) {
      skip(bytes.status().message());
      continue;
    }
    auto list = EndsWith(name, ".conflist") ? ParseConfList(*bytes) : ParseConf(*bytes);
    if (!list.ok()) {
      skip(list.status().message());
      continue;
    }
    std::string missing;
    for (const auto& plugin : list->plugins) {
      auto found = FindPluginBinary(plugin_dirs, plugin.type);
      if (!found.ok()) {
        missing = found.status().message();
        break;
      }
    }
    if (!missing.empty()) {
      skip(missing);
      continue;
    }
    list->source_file = path;
    out.list = std::make_shared<const NetworkConfigList>(std::move(list).value());
    return out;
  }
  out.reason = "no CNI network config found in " + conf_dir;
  if (!out.skipped.empty()) {
    out.reason += " (skipped:";
    for (const auto& s : out.skipped) out.reason += " " + s.file + ": " + s.reason + ";";
    out.reason.back() = ')';
  }
  return out;
}

}  // namespace berth::cni
