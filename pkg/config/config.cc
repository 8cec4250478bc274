#include "pkg/config/config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "pkg/base/utf8.h"
#include "pkg/config/config_decode.h"
#include "pkg/fs/dir.h"
#include "pkg/platform/listen_endpoint.h"

namespace berth::config {
namespace {

namespace fs = std::filesystem;

Result<YAML::Node> ParseYaml(const std::string& text, const std::string& origin) {
  // YAML is Unicode text. yaml-cpp reads other bytes into strings but prints
  // them as U+FFFD, so `berthd config` would show a path that is not the one
  // in effect.
  if (!IsValidUtf8(text)) return InvalidArgument(origin + ": not valid UTF-8 text");
  try {
    return YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return InvalidArgument(origin + ": invalid YAML: " + e.what());
  }
}

Result<std::string> ReadText(const std::string& path) {
  // A directory opens as a stream and reads as nothing, which would pass for
  // an empty file: every default, silently.
  std::error_code ec;
  if (fs::exists(path, ec) && !fs::is_regular_file(path, ec)) {
    return InvalidArgument("config file " + path + " is not a regular file");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot read config file " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// yaml-cpp reports misuse and failed conversions by throwing. Config errors
// must come back as a Status naming the file: `berthd config`, start-up and the
// SIGHUP reload all load through here, and an escaping exception aborts berthd.
template <typename Fn>
auto NoThrow(const std::string& origin, Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const YAML::Exception& e) {
    return InvalidArgument(origin + ": " + e.what());
  } catch (const std::exception& e) {
    return InvalidArgument(origin + ": " + e.what());
  }
}

// One file's YAML, decoded alone first so that an unknown key or wrong type
// is reported against the file that holds it.
Result<YAML::Node> ReadConfigFile(const std::string& file) {
  return NoThrow(file, [&]() -> Result<YAML::Node> {
    BERTH_ASSIGN_OR_RETURN(std::string text, ReadText(file));
    BERTH_ASSIGN_OR_RETURN(YAML::Node node, ParseYaml(text, file));
    Config scratch;
    Status s = Decode(node, &scratch);
    if (!s.ok()) return s.WithContext(file);
    return node;
  });
}

Result<Config> DecodeMerged(const YAML::Node& merged, const Overrides& o,
                            const std::string& origin) {
  Config c;
  Status s = Decode(merged, &c);
  if (!s.ok()) return s.WithContext(origin);
  if (o.root) c.root = *o.root;
  if (o.runroot) c.runroot = *o.runroot;
  if (o.listen) c.listen = *o.listen;
  if (o.log_level) c.log_level = *o.log_level;
  s = Validate(c);
  if (!s.ok()) return s.WithContext(origin);
  return c;
}

Status RequireAbsolute(const std::string& key, const std::string& value, bool may_be_empty) {
  if (value.empty()) {
    if (may_be_empty) return OkStatus();
    return InvalidArgument("\"" + key + "\" must be set");
  }
  if (value.front() != '/') {
    return InvalidArgument("\"" + key + "\" must be an absolute path, got \"" + value + "\"");
  }
  return OkStatus();
}

Status RequireOneOf(const std::string& key, const std::string& value,
                    std::initializer_list<const char*> allowed) {
  std::string list;
  for (const char* a : allowed) {
    if (value == a) return OkStatus();
    list += list.empty() ? a : std::string(", ") + a;
  }
  return InvalidArgument("\"" + key + "\" must be one of " + list + ", got \"" + value + "\"");
}

std::string RuntimeNames(const Config& c) {
  std::string names;
  for (const auto& [name, _] : c.runtimes) names += (names.empty() ? "" : ", ") + name;
  return names.empty() ? "(none)" : names;
}

Status RequireRuntime(const Config& c, const std::string& key, const std::string& name,
                      bool may_be_empty) {
  if (name.empty() && may_be_empty) return OkStatus();
  if (c.runtimes.count(name)) return OkStatus();
  return InvalidArgument("\"" + key + "\" names unknown runtime \"" + name +
                         "\"; configured runtimes: " + RuntimeNames(c));
}

}  // namespace

bool IsValidLogLevel(const std::string& level) {
  static const char* kLevels[] = {"trace", "debug", "info", "warn", "error", "critical", "off"};
  return std::any_of(std::begin(kLevels), std::end(kLevels),
                     [&](const char* l) { return level == l; });
}

Status ValidateMetricsAddress(const std::string& address) {
  if (address.empty()) return OkStatus();
  auto bad = [&](const std::string& why) {
    return InvalidArgument("\"metrics.address\" must be host:port (e.g. 127.0.0.1:9090): " + why +
                           ", got \"" + address + "\"");
  };
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos) return bad("no port");
  const std::string host = address.substr(0, colon);
  const std::string port = address.substr(colon + 1);
  if (host.empty()) return bad("no host");
  if (port.empty() || port.size() > 5 ||
      port.find_first_not_of("0123456789") != std::string::npos || std::stoi(port) > 65535) {
    return bad("the port is not a number from 0 to 65535");
  }
  if (host.front() == '[') {
    if (host.back() != ']' || host.size() < 3 ||
        host.find_first_not_of("0123456789abcdefABCDEF:.", 1) != host.size() - 1) {
      return bad("bad bracketed IPv6 address");
    }
    return OkStatus();
  }
  // An unbracketed IPv6 address would be ambiguous with the port's colon.
  if (host.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") !=
      std::string::npos) {
    return bad("the host may hold letters, digits, '.' and '-' (IPv6 goes in [brackets])");
  }
  return OkStatus();
}

Status Validate(const Config& c) {
  BERTH_RETURN_IF_ERROR(RequireAbsolute("root", c.root, false));
  BERTH_RETURN_IF_ERROR(RequireAbsolute("runroot", c.runroot, false));
  if (platform::HostPlatform() == platform::TargetPlatform::kWindows) {
    // Windows serves on a named pipe (npipe:////./pipe/<name>).
    BERTH_RETURN_IF_ERROR(platform::ValidateListenEndpoint(c.listen, platform::HostPlatform())
                              .WithContext("\"listen\""));
  } else {
    BERTH_RETURN_IF_ERROR(RequireAbsolute("listen", c.listen, false));
  }
  BERTH_RETURN_IF_ERROR(RequireAbsolute("conmon", c.conmon, false));
  BERTH_RETURN_IF_ERROR(RequireAbsolute("shutdown_file", c.shutdown_file, false));
  BERTH_RETURN_IF_ERROR(RequireAbsolute("auth_file", c.auth_file, true));
  BERTH_RETURN_IF_ERROR(
      RequireAbsolute("credential_providers.config", c.credential_providers.config, true));
  BERTH_RETURN_IF_ERROR(
      RequireAbsolute("credential_providers.bin_dir", c.credential_providers.bin_dir, true));
  BERTH_RETURN_IF_ERROR(RequireAbsolute("cni.conf_dir", c.cni.conf_dir, false));
  BERTH_RETURN_IF_ERROR(RequireAbsolute("cni.cache_dir", c.cni.cache_dir, true));
  BERTH_RETURN_IF_ERROR(
      RequireAbsolute("cni.network_config_template", c.cni.network_config_template, true));
  for (size_t i = 0; i < c.cni.plugin_dirs.size(); ++i) {
    BERTH_RETURN_IF_ERROR(
        RequireAbsolute("cni.plugin_dirs[" + std::to_string(i) + "]", c.cni.plugin_dirs[i], false));
  }
  if (!IsValidLogLevel(c.log_level)) {
    return InvalidArgument(
        "\"log_level\" must be one of trace, debug, info, warn, error, "
        "critical, off, got \"" +
        c.log_level + "\"");
  }
  BERTH_RETURN_IF_ERROR(RequireAbsolute("stream.tls_cert_file", c.stream.tls_cert_file, true));
  BERTH_RETURN_IF_ERROR(RequireAbsolute("stream.tls_key_file", c.stream.tls_key_file, true));
  if (c.stream.tls_cert_file.empty() != c.stream.tls_key_file.empty()) {
    return InvalidArgument(
        "\"stream.tls_cert_file\" and \"stream.tls_key_file\" go together: "
        "set both for TLS, or neither");
  }
  BERTH_RETURN_IF_ERROR(ValidateMetricsAddress(c.metrics.address));
  BERTH_RETURN_IF_ERROR(RequireOneOf("cgroup_manager", c.cgroup_manager, {"cgroupfs", "systemd"}));
  BERTH_RETURN_IF_ERROR(
      RequireOneOf("default_workload_trust", c.default_workload_trust, {"trusted", "untrusted"}));
  if (c.runtimes.empty()) return InvalidArgument("\"runtimes\" must name at least one runtime");
  for (const auto& [name, r] : c.runtimes) {
    std::string key = "runtimes." + name;
    if (name.empty() || name.find_first_of(" \t\n/.") != std::string::npos) {
      return InvalidArgument("\"" + key +
                             "\": runtime handler names may not contain "
                             "spaces, '/' or '.'");
    }
    BERTH_RETURN_IF_ERROR(RequireAbsolute(key + ".path", r.path, false));
    BERTH_RETURN_IF_ERROR(RequireAbsolute(key + ".root", r.root, false));
    BERTH_RETURN_IF_ERROR(RequireOneOf(key + ".type", r.type, {"oci", "vm"}));
  }
  BERTH_RETURN_IF_ERROR(RequireRuntime(c, "default_runtime", c.default_runtime, false));
  BERTH_RETURN_IF_ERROR(RequireRuntime(c, "trusted_runtime", c.trusted_runtime, false));
  BERTH_RETURN_IF_ERROR(RequireRuntime(c, "untrusted_runtime", c.untrusted_runtime, true));
  for (const auto& [host, h] : c.registries) {
    if (host.empty() || host.find_first_of(" /\t\n") != std::string::npos) {
      return InvalidArgument("\"registries\": bad registry host \"" + host + "\"");
    }
    for (size_t i = 0; i < h.mirrors.size(); ++i) {
      const std::string& m = h.mirrors[i];
      if (m.rfind("http://", 0) != 0 && m.rfind("https://", 0) != 0) {
        return InvalidArgument("\"registries." + host + ".mirrors[" + std::to_string(i) +
                               "]\" must start with http:// or https://, got \"" + m + "\"");
      }
    }
  }
  for (size_t i = 0; i < c.pinned_images.size(); ++i) {
    const std::string& p = c.pinned_images[i];
    auto star = p.find('*');
    if (p.empty() || (star != std::string::npos && star != p.size() - 1)) {
      return InvalidArgument("\"pinned_images[" + std::to_string(i) +
                             "]\": a pattern is an exact name or ends in a single '*', got \"" + p +
                             "\"");
    }
  }
  return OkStatus();
}

Result<Config> Parse(const std::string& yaml_text, const Overrides& overrides) {
  return NoThrow("config", [&]() -> Result<Config> {
    BERTH_ASSIGN_OR_RETURN(YAML::Node node, ParseYaml(yaml_text, "config"));
    return DecodeMerged(node, overrides, "config");
  });
}

Result<Config> Load(const std::string& path, bool must_exist, const Overrides& overrides) {
  return NoThrow(path, [&]() -> Result<Config> {
    YAML::Node merged;
    std::error_code ec;
    if (fs::exists(path, ec)) {
      BERTH_ASSIGN_OR_RETURN(merged, ReadConfigFile(path));
    } else if (must_exist) {
      return NotFound("config file " + path + " does not exist");
    }
    // Drop-ins merge over the main file in lexical order (ListDir's); later
    // files win.
    const std::string dropin_dir = path + ".d";
    std::vector<std::string> dropins;
    if (fs::is_directory(dropin_dir, ec)) {
      Result<std::vector<std::string>> names = ListDir(dropin_dir);
      if (!names.ok()) {
        return InvalidArgument("cannot list drop-in directory " + dropin_dir + ": " +
                               names.status().message());
      }
      for (const std::string& name : *names) {
        std::error_code file_ec;
        if (fs::path(name).extension() == ".yaml" &&
            fs::is_regular_file(dropin_dir + "/" + name, file_ec)) {
          dropins.push_back(name);
        }
      }
    }
    std::string origin = path;
    for (const std::string& name : dropins) {
      const std::string file = dropin_dir + "/" + name;
      BERTH_ASSIGN_OR_RETURN(YAML::Node node, ReadConfigFile(file));
      Result<YAML::Node> next = NoThrow(file, [&] { return MergeNodes(merged, node); });
      if (!next.ok()) return next.status().WithContext(file);
      merged = *next;  // a fresh tree: MergeNodes shares no node with its inputs
      origin += " + " + name;
    }
    return DecodeMerged(merged, overrides, origin);
  });
}

namespace {

// One description of the effective config, in key order, that both printers share.
nlohmann::ordered_json ToJsonValue(const Config& c) {
  nlohmann::ordered_json runtimes = nlohmann::ordered_json::object();
  for (const auto& [name, r] : c.runtimes) {
    runtimes[name] = nlohmann::ordered_json{{"path", r.path},
                                            {"root", r.root},
                                            {"type", r.type},
                                            {"allowed_annotations", r.allowed_annotations}};
  }
  nlohmann::ordered_json registries = nlohmann::ordered_json::object();
  for (const auto& [host, h] : c.registries) {
    registries[host] = nlohmann::ordered_json{{"mirrors", h.mirrors}, {"insecure", h.insecure}};
  }
  return {
      {"root", c.root},
      {"runroot", c.runroot},
      {"listen", c.listen},
      {"log_level", c.log_level},
      {"conmon", c.conmon},
      {"cgroup_manager", c.cgroup_manager},
      {"runtimes", runtimes},
      {"default_runtime", c.default_runtime},
      {"trusted_runtime", c.trusted_runtime},
      {"untrusted_runtime", c.untrusted_runtime},
      {"default_workload_trust", c.default_workload_trust},
      {"untrusted_fallback_to_trusted", c.untrusted_fallback_to_trusted},
      {"forbid_trusted_opt_out", c.forbid_trusted_opt_out},
      {"clamp_oom_score_adj", c.clamp_oom_score_adj},
      {"runtime_create_timeout", std::to_string(c.runtime_create_timeout_seconds) + "s"},
      {"cni",
       {{"conf_dir", c.cni.conf_dir},
        {"plugin_dirs", c.cni.plugin_dirs},
        {"cache_dir", c.cni.cache_dir},
        {"network_config_template", c.cni.network_config_template}}},
      {"registries", registries},
      {"auth_file", c.auth_file},
      {"credential_providers",
       {{"config", c.credential_providers.config}, {"bin_dir", c.credential_providers.bin_dir}}},
      {"max_concurrent_downloads", c.max_concurrent_downloads},
      {"image_pull_progress_timeout", std::to_string(c.image_pull_progress_timeout_seconds) + "s"},
      {"image_layer_limits",
       {{"max_unpacked_gib", c.image_layer_limits.max_unpacked_gib},
        {"max_expansion_ratio", c.image_layer_limits.max_expansion_ratio}}},
      {"pinned_images", c.pinned_images},
      {"stream",
       {{"address", c.stream.address},
        {"port", c.stream.port},
        {"tls_cert_file", c.stream.tls_cert_file},
        {"tls_key_file", c.stream.tls_key_file},
        {"idle_timeout", std::to_string(c.stream.idle_timeout_seconds) + "s"}}},
      {"stats",
       {{"disk_sample_interval", std::to_string(c.stats.disk_sample_interval_seconds) + "s"}}},
      {"metrics", {{"address", c.metrics.address}}},
      {"pause_image", c.pause_image},
      {"shutdown_file", c.shutdown_file},
  };
}

void EmitYaml(const nlohmann::ordered_json& j, YAML::Emitter& out) {
  if (j.is_object()) {
    out << YAML::BeginMap;
    for (const auto& [key, value] : j.items()) {
      out << YAML::Key << key << YAML::Value;
      EmitYaml(value, out);
    }
    out << YAML::EndMap;
  } else if (j.is_array()) {
    out << YAML::Flow << YAML::BeginSeq;
    for (const auto& v : j) EmitYaml(v, out);
    out << YAML::EndSeq;
  } else if (j.is_string()) {
    const std::string& s = j.get_ref<const std::string&>();
    if (s.empty()) {
      out << YAML::DoubleQuoted << s;
    } else {
      out << s;
    }
  } else if (j.is_boolean()) {
    out << j.get<bool>();
  } else {
    out << j.dump();
  }
}

}  // namespace

// Replace, not throw, on bytes that are not UTF-8 (a config string may hold any).
std::string ToJson(const Config& c) {
  return ToJsonValue(c).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string ToYaml(const Config& c) {
  YAML::Emitter out;
  EmitYaml(ToJsonValue(c), out);
  return std::string(out.c_str()) + "\n";
}

}  // namespace berth::config
