#include "pkg/config/config_decode.h"

#include <cctype>
#include <functional>
#include <set>

namespace berth::config {
namespace {

std::string TypeName(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      return "a scalar";
    case YAML::NodeType::Null:
      return "null";
    default:
      return "undefined";
  }
}

// A map key as text. Keys name config entries, so only scalars do; a list, map
// or null key is an error here (yaml-cpp would throw converting it).
Result<std::string> KeyText(const YAML::Node& key, const std::string& map_path) {
  if (key.IsScalar()) return key.Scalar();
  std::string where = map_path.empty() ? "the config" : "\"" + map_path + "\"";
  return InvalidArgument(where + " has a key that is " + TypeName(key) + ", not a name");
}

Result<YAML::Node> MergeAt(const YAML::Node& base, const YAML::Node& overlay,
                           const std::string& path) {
  if (!overlay.IsDefined() || overlay.IsNull()) return YAML::Clone(base);
  if (!base.IsDefined() || !base.IsMap() || !overlay.IsMap()) return YAML::Clone(overlay);
  // Built afresh rather than by indexing `base`: a const lookup of a key that
  // `base` lacks yields an invalid node whose every use throws.
  std::map<std::string, YAML::Node> over;
  for (const auto& kv : overlay) {
    BERTH_ASSIGN_OR_RETURN(std::string key, KeyText(kv.first, path));
    if (!over.emplace(key, kv.second).second) {
      return InvalidArgument("duplicate key \"" + (path.empty() ? key : path + "." + key) + "\"");
    }
  }
  YAML::Node merged(YAML::NodeType::Map);
  std::set<std::string> done;
  for (const auto& kv : base) {
    BERTH_ASSIGN_OR_RETURN(std::string key, KeyText(kv.first, path));
    if (!done.insert(key).second) continue;  // Decode reports base duplicates
    auto it = over.find(key);
    if (it == over.end()) {
      merged[key] = YAML::Clone(kv.second);
    } else {
      Result<YAML::Node> sub =
          MergeAt(kv.second, it->second, path.empty() ? key : path + "." + key);
      if (!sub.ok()) return sub.status();
      merged[key] = *sub;
    }
  }
  for (const auto& kv : overlay) {
    std::string key = kv.first.Scalar();  // checked above
    if (done.insert(key).second) merged[key] = YAML::Clone(kv.second);
  }
  return merged;
}

// Walks one YAML map; each accessor consumes a key, Finish() reports leftovers.
class MapReader {
 public:
  MapReader(const YAML::Node& node, std::string path) : node_(node), path_(std::move(path)) {}

  Status Open() const {
    if (node_.IsNull() || node_.IsMap()) return OkStatus();
    return InvalidArgument(Where() + " must be a map, got " + TypeName(node_));
  }

  Status String(const std::string& key, std::string* out) {
    YAML::Node n;
    if (!Take(key, &n)) return OkStatus();
    return ScalarString(n, Key(key), out);
  }

  Status Bool(const std::string& key, bool* out) {
    YAML::Node n;
    if (!Take(key, &n)) return OkStatus();
    std::string s;
    BERTH_RETURN_IF_ERROR(ScalarString(n, Key(key), &s));
    if (s == "true" || s == "True" || s == "yes") {
      *out = true;
    } else if (s == "false" || s == "False" || s == "no") {
      *out = false;
    } else {
      return InvalidArgument(Key(key) + " must be true or false, got \"" + s + "\"");
    }
    return OkStatus();
  }

  Status Int(const std::string& key, int min, int max, int* out) {
    YAML::Node n;
    if (!Take(key, &n)) return OkStatus();
    std::string s;
    BERTH_RETURN_IF_ERROR(ScalarString(n, Key(key), &s));
    size_t used = 0;
    long v = 0;
    try {
      v = std::stol(s, &used);
    } catch (...) {
      used = 0;
    }
    if (used == 0 || used != s.size()) {
      return InvalidArgument(Key(key) + " must be an integer, got \"" + s + "\"");
    }
    if (v < min || v > max) {
      return InvalidArgument(Key(key) + " must be between " + std::to_string(min) + " and " +
                             std::to_string(max) + ", got " + s);
    }
    *out = static_cast<int>(v);
    return OkStatus();
  }

  Status StringList(const std::string& key, std::vector<std::string>* out) {
    YAML::Node n;
    if (!Take(key, &n)) return OkStatus();
    return DecodeStringList(n, Key(key), out);
  }

  // Calls fn(child_reader) for a nested map.
  Status Map(const std::string& key, const std::function<Status(MapReader&)>& fn) {
    YAML::Node n;
    if (!Take(key, &n)) return OkStatus();
    MapReader child(n, Path(key));
    BERTH_RETURN_IF_ERROR(child.Open());
    BERTH_RETURN_IF_ERROR(fn(child));
    return child.Finish();
  }

  // Calls fn(name, child_reader) for each entry of a map of maps.
  Status Entries(const std::string& key,
                 const std::function<Status(const std::string&, MapReader&)>& fn) {
    YAML::Node n;
    if (!Take(key, &n)) return OkStatus();
    if (n.IsNull()) return OkStatus();
    if (!n.IsMap()) return InvalidArgument(Key(key) + " must be a map, got " + TypeName(n));
    std::set<std::string> names;
    for (const auto& kv : n) {
      BERTH_ASSIGN_OR_RETURN(std::string name, KeyText(kv.first, Path(key)));
      if (!names.insert(name).second) {
        return InvalidArgument("duplicate key \"" + Path(key) + "." + name + "\"");
      }
      MapReader child(kv.second, Path(key) + "." + name);
      BERTH_RETURN_IF_ERROR(child.Open());
      BERTH_RETURN_IF_ERROR(fn(name, child));
      BERTH_RETURN_IF_ERROR(child.Finish());
    }
    return OkStatus();
  }

  Status Finish() const {
    if (!node_.IsMap()) return OkStatus();
    std::set<std::string> keys;
    for (const auto& kv : node_) {
      BERTH_ASSIGN_OR_RETURN(std::string key, KeyText(kv.first, path_));
      if (!seen_.count(key)) return InvalidArgument("unknown key " + Key(key));
      // yaml-cpp keeps both; lookups would silently use the first.
      if (!keys.insert(key).second) return InvalidArgument("duplicate key " + Key(key));
    }
    return OkStatus();
  }

  // The dotted path of a key below this map, and the same quoted for messages.
  std::string Path(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }
  std::string Key(const std::string& key) const { return "\"" + Path(key) + "\""; }

 private:
  std::string Where() const { return path_.empty() ? "the config" : "\"" + path_ + "\""; }

  bool Take(const std::string& key, YAML::Node* out) {
    seen_.insert(key);
    if (!node_.IsMap()) return false;
    const YAML::Node& map = node_;  // const lookup: never inserts the key
    YAML::Node n = map[key];
    if (!n.IsDefined()) return false;
    *out = n;
    return true;
  }

  static Status ScalarString(const YAML::Node& n, const std::string& key, std::string* out) {
    if (n.IsNull()) {
      out->clear();
      return OkStatus();
    }
    if (!n.IsScalar()) return InvalidArgument(key + " must be a scalar, got " + TypeName(n));
    *out = n.Scalar();
    return OkStatus();
  }

  static Status DecodeStringList(const YAML::Node& n, const std::string& key,
                                 std::vector<std::string>* out) {
    out->clear();
    if (n.IsNull()) return OkStatus();
    if (!n.IsSequence()) return InvalidArgument(key + " must be a list, got " + TypeName(n));
    for (size_t i = 0; i < n.size(); ++i) {
      std::string s;
      BERTH_RETURN_IF_ERROR(ScalarString(n[i], key + "[" + std::to_string(i) + "]", &s));
      out->push_back(s);
    }
    return OkStatus();
  }

  YAML::Node node_;
  std::string path_;
  std::set<std::string> seen_;
};

Status DecodeRuntime(MapReader& r, RuntimeEntry* e) {
  BERTH_RETURN_IF_ERROR(r.String("path", &e->path));
  BERTH_RETURN_IF_ERROR(r.String("root", &e->root));
  BERTH_RETURN_IF_ERROR(r.String("type", &e->type));
  return r.StringList("allowed_annotations", &e->allowed_annotations);
}

}  // namespace

Result<YAML::Node> MergeNodes(const YAML::Node& base, const YAML::Node& overlay) {
  return MergeAt(base, overlay, "");
}

Result<int> ParseDurationSeconds(const std::string& text) {
  if (text.empty()) return InvalidArgument("empty duration");
  long total = 0;
  size_t i = 0;
  bool any = false;
  while (i < text.size()) {
    size_t start = i;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
    if (i == start) return InvalidArgument("bad duration \"" + text + "\"");
    // More digits than a year of seconds has would overflow std::stol (it throws).
    if (i - start > 9) return InvalidArgument("duration \"" + text + "\" too long");
    long n = std::stol(text.substr(start, i - start));
    long unit = 1;
    if (i < text.size()) {
      char c = text[i++];
      if (c == 'h') {
        unit = 3600;
      } else if (c == 'm') {
        unit = 60;
      } else if (c == 's') {
        unit = 1;
      } else {
        return InvalidArgument("bad duration \"" + text + "\" (units: h, m, s)");
      }
    } else if (any) {
      return InvalidArgument("bad duration \"" + text + "\": number without unit");
    }
    total += n * unit;
    if (total > 365L * 24 * 3600) return InvalidArgument("duration \"" + text + "\" too long");
    any = true;
  }
  return static_cast<int>(total);
}

Status Decode(const YAML::Node& root, Config* c) {
  MapReader r(root, "");
  BERTH_RETURN_IF_ERROR(r.Open());
  BERTH_RETURN_IF_ERROR(r.String("root", &c->root));
  BERTH_RETURN_IF_ERROR(r.String("runroot", &c->runroot));
  BERTH_RETURN_IF_ERROR(r.String("listen", &c->listen));
  BERTH_RETURN_IF_ERROR(r.String("log_level", &c->log_level));
  BERTH_RETURN_IF_ERROR(r.String("conmon", &c->conmon));
  BERTH_RETURN_IF_ERROR(r.String("cgroup_manager", &c->cgroup_manager));
  BERTH_RETURN_IF_ERROR(r.Entries("runtimes", [&](const std::string& name, MapReader& e) {
    // A drop-in may name a new runtime or adjust one key of an existing one.
    RuntimeEntry& entry = c->runtimes[name];
    return DecodeRuntime(e, &entry);
  }));
  BERTH_RETURN_IF_ERROR(r.String("default_runtime", &c->default_runtime));
  BERTH_RETURN_IF_ERROR(r.String("trusted_runtime", &c->trusted_runtime));
  BERTH_RETURN_IF_ERROR(r.String("untrusted_runtime", &c->untrusted_runtime));
  BERTH_RETURN_IF_ERROR(r.String("default_workload_trust", &c->default_workload_trust));
  BERTH_RETURN_IF_ERROR(r.Bool("untrusted_fallback_to_trusted", &c->untrusted_fallback_to_trusted));
  BERTH_RETURN_IF_ERROR(r.Bool("forbid_trusted_opt_out", &c->forbid_trusted_opt_out));
  BERTH_RETURN_IF_ERROR(r.Bool("clamp_oom_score_adj", &c->clamp_oom_score_adj));
  BERTH_RETURN_IF_ERROR(r.Map("cni", [&](MapReader& m) {
    BERTH_RETURN_IF_ERROR(m.String("conf_dir", &c->cni.conf_dir));
    BERTH_RETURN_IF_ERROR(m.StringList("plugin_dirs", &c->cni.plugin_dirs));
    BERTH_RETURN_IF_ERROR(m.String("cache_dir", &c->cni.cache_dir));
    return m.String("network_config_template", &c->cni.network_config_template);
  }));
  BERTH_RETURN_IF_ERROR(r.Entries("registries", [&](const std::string& host, MapReader& m) {
    RegistryHost& h = c->registries[host];
    BERTH_RETURN_IF_ERROR(m.StringList("mirrors", &h.mirrors));
    return m.Bool("insecure", &h.insecure);
  }));
  BERTH_RETURN_IF_ERROR(r.String("auth_file", &c->auth_file));
  BERTH_RETURN_IF_ERROR(r.Map("credential_providers", [&](MapReader& m) {
    BERTH_RETURN_IF_ERROR(m.String("config", &c->credential_providers.config));
    return m.String("bin_dir", &c->credential_providers.bin_dir);
  }));
  BERTH_RETURN_IF_ERROR(r.Int("max_concurrent_downloads", 1, 64, &c->max_concurrent_downloads));
  // Durations are strings ("90s", "2m"); the key names itself in errors.
  auto duration = [&](const char* key, int min_seconds, int* seconds) -> Status {
    std::string text;
    BERTH_RETURN_IF_ERROR(r.String(key, &text));
    if (text.empty()) return OkStatus();
    Result<int> secs = ParseDurationSeconds(text);
    if (!secs.ok()) return InvalidArgument(r.Key(key) + ": " + secs.status().message());
    if (*secs < min_seconds) {
      return InvalidArgument(r.Key(key) + ": must be at least " + std::to_string(min_seconds) +
                             "s");
    }
    *seconds = *secs;
    return OkStatus();
  };
  BERTH_RETURN_IF_ERROR(
      duration("image_pull_progress_timeout", 0, &c->image_pull_progress_timeout_seconds));
  BERTH_RETURN_IF_ERROR(duration("runtime_create_timeout", 1, &c->runtime_create_timeout_seconds));
  BERTH_RETURN_IF_ERROR(r.Map("image_layer_limits", [&](MapReader& m) {
    BERTH_RETURN_IF_ERROR(
        m.Int("max_unpacked_gib", 1, 1 << 20, &c->image_layer_limits.max_unpacked_gib));
    return m.Int("max_expansion_ratio", 0, 1 << 20, &c->image_layer_limits.max_expansion_ratio);
  }));
  BERTH_RETURN_IF_ERROR(r.StringList("pinned_images", &c->pinned_images));
  BERTH_RETURN_IF_ERROR(r.Map("stream", [&](MapReader& m) {
    BERTH_RETURN_IF_ERROR(m.String("address", &c->stream.address));
    BERTH_RETURN_IF_ERROR(m.String("tls_cert_file", &c->stream.tls_cert_file));
    BERTH_RETURN_IF_ERROR(m.String("tls_key_file", &c->stream.tls_key_file));
    std::string idle;
    BERTH_RETURN_IF_ERROR(m.String("idle_timeout", &idle));
    if (!idle.empty()) {
      Result<int> secs = ParseDurationSeconds(idle);
      if (!secs.ok())
        return InvalidArgument(m.Key("idle_timeout") + ": " + secs.status().message());
      c->stream.idle_timeout_seconds = *secs;
    }
    return m.Int("port", 0, 65535, &c->stream.port);
  }));
  BERTH_RETURN_IF_ERROR(r.Map("stats", [&](MapReader& m) {
    std::string interval;
    BERTH_RETURN_IF_ERROR(m.String("disk_sample_interval", &interval));
    if (interval.empty()) return OkStatus();
    Result<int> secs = ParseDurationSeconds(interval);
    if (!secs.ok()) {
      return InvalidArgument(m.Key("disk_sample_interval") + ": " + secs.status().message());
    }
    if (*secs < 1) return InvalidArgument(m.Key("disk_sample_interval") + ": must be at least 1s");
    c->stats.disk_sample_interval_seconds = *secs;
    return OkStatus();
  }));
  BERTH_RETURN_IF_ERROR(
      r.Map("metrics", [&](MapReader& m) { return m.String("address", &c->metrics.address); }));
  BERTH_RETURN_IF_ERROR(r.String("pause_image", &c->pause_image));
  BERTH_RETURN_IF_ERROR(r.String("shutdown_file", &c->shutdown_file));
  return r.Finish();
}

}  // namespace berth::config
