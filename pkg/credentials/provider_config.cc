#include "pkg/credentials/provider_config.h"

#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <set>

#include "pkg/credentials/go_duration.h"
#include "pkg/fs/atomic_file.h"

namespace berth::credentials {
namespace {

constexpr size_t kMaxConfigBytes = 1 << 20;

Result<std::string> ScalarString(const YAML::Node& n, const std::string& key) {
  if (!n.IsScalar()) return InvalidArgument(key + " must be a string");
  return n.as<std::string>();
}

Result<std::vector<std::string>> StringList(const YAML::Node& n, const std::string& key) {
  std::vector<std::string> out;
  if (!n || n.IsNull()) return out;
  if (!n.IsSequence()) return InvalidArgument(key + " must be a list of strings");
  for (size_t i = 0; i < n.size(); ++i) {
    BERTH_ASSIGN_OR_RETURN(std::string s, ScalarString(n[i], key + "[" + std::to_string(i) + "]"));
    out.push_back(std::move(s));
  }
  return out;
}

bool ValidEnvName(const std::string& s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) return false;
  for (char c : s) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  }
  return true;
}

Result<CredentialProviderSpec> ParseProvider(const YAML::Node& p, const std::string& where,
                                             const std::string& bin_dir) {
  if (!p.IsMap()) return InvalidArgument(where + " must be a mapping");
  static const std::set<std::string> kKnown = {
      "name", "matchImages", "defaultCacheDuration", "apiVersion",
      "args", "env",         "tokenAttributes"};
  for (const auto& kv : p) {
    std::string k = kv.first.as<std::string>();
    if (!kKnown.contains(k)) return InvalidArgument(where + ": unknown key \"" + k + "\"");
  }
  CredentialProviderSpec s;
  if (!p["name"]) return InvalidArgument(where + ".name is required");
  BERTH_ASSIGN_OR_RETURN(s.name, ScalarString(p["name"], where + ".name"));
  if (s.name.empty() || s.name == "." || s.name == ".." || s.name.find('/') != std::string::npos) {
    return InvalidArgument(where + ".name \"" + s.name + "\" must be a plain file name");
  }
  BERTH_ASSIGN_OR_RETURN(s.match_images, StringList(p["matchImages"], where + ".matchImages"));
  if (s.match_images.empty()) return InvalidArgument(where + ".matchImages must not be empty");
  if (!p["defaultCacheDuration"]) {
    return InvalidArgument(where + ".defaultCacheDuration is required");
  }
  BERTH_ASSIGN_OR_RETURN(std::string dur,
                         ScalarString(p["defaultCacheDuration"], where + ".defaultCacheDuration"));
  auto d = ParseGoDuration(dur);
  if (!d.ok()) return d.status().WithContext(where + ".defaultCacheDuration");
  s.default_cache_duration = *d;
  if (!p["apiVersion"]) return InvalidArgument(where + ".apiVersion is required");
  BERTH_ASSIGN_OR_RETURN(s.api_version, ScalarString(p["apiVersion"], where + ".apiVersion"));
  if (!IsSupportedProviderApiVersion(s.api_version)) {
    return InvalidArgument(where + ".apiVersion \"" + s.api_version +
                           "\" is not one of credentialprovider.kubelet.k8s.io/v1, v1beta1, "
                           "v1alpha1");
  }
  BERTH_ASSIGN_OR_RETURN(s.args, StringList(p["args"], where + ".args"));
  if (const YAML::Node env = p["env"]; env && !env.IsNull()) {
    if (!env.IsSequence()) return InvalidArgument(where + ".env must be a list");
    for (size_t i = 0; i < env.size(); ++i) {
      std::string ew = where + ".env[" + std::to_string(i) + "]";
      if (!env[i].IsMap() || !env[i]["name"]) return InvalidArgument(ew + " needs a name");
      BERTH_ASSIGN_OR_RETURN(std::string name, ScalarString(env[i]["name"], ew + ".name"));
      if (!ValidEnvName(name)) return InvalidArgument(ew + ".name \"" + name + "\" is invalid");
      std::string value;
      if (env[i]["value"]) {
        BERTH_ASSIGN_OR_RETURN(value, ScalarString(env[i]["value"], ew + ".value"));
      }
      s.env.emplace_back(std::move(name), std::move(value));
    }
  }
  s.path = bin_dir + "/" + s.name;
  if (access(s.path.c_str(), X_OK) != 0) {
    return FailedPrecondition(where + ": plugin " + s.path + " is missing or not executable");
  }
  return s;
}

}  // namespace

bool IsSupportedProviderApiVersion(std::string_view v) {
  return v == "credentialprovider.kubelet.k8s.io/v1" ||
         v == "credentialprovider.kubelet.k8s.io/v1beta1" ||
         v == "credentialprovider.kubelet.k8s.io/v1alpha1";
}

Result<std::vector<CredentialProviderSpec>> ParseCredentialProviderConfig(
    std::string_view yaml_text, const std::string& bin_dir, std::string_view source) {
  const std::string src = "credential provider config " + std::string(source);
  if (bin_dir.empty()) return InvalidArgument(src + ": credential_providers.bin_dir is empty");
  try {
    YAML::Node root = YAML::Load(std::string(yaml_text));
    if (!root.IsMap()) return InvalidArgument(src + ": not a YAML mapping");
    std::string kind = root["kind"] ? root["kind"].as<std::string>() : "";
    if (kind != "CredentialProviderConfig") {
      return InvalidArgument(src + ": kind must be CredentialProviderConfig");
    }
    std::string api = root["apiVersion"] ? root["apiVersion"].as<std::string>() : "";
    if (api != "kubelet.config.k8s.io/v1" && api != "kubelet.config.k8s.io/v1beta1" &&
        api != "kubelet.config.k8s.io/v1alpha1") {
      return InvalidArgument(src + ": apiVersion \"" + api +
                             "\" is not kubelet.config.k8s.io/v1, v1beta1 or v1alpha1");
    }
    YAML::Node providers = root["providers"];
    if (!providers || !providers.IsSequence()) {
      return InvalidArgument(src + ": providers must be a list");
    }
    std::vector<CredentialProviderSpec> out;
    std::set<std::string> names;
    for (size_t i = 0; i < providers.size(); ++i) {
      std::string where = "providers[" + std::to_string(i) + "]";
      auto p = ParseProvider(providers[i], where, bin_dir);
      if (!p.ok()) return p.status().WithContext(src);
      if (!names.insert(p->name).second) {
        return InvalidArgument(src + ": " + where + ": duplicate provider name \"" + p->name +
                               "\"");
      }
      out.push_back(std::move(*p));
    }
    return out;
  } catch (const YAML::Exception& e) {
    return InvalidArgument(src + ": " + e.what());
  }
}

Result<std::vector<CredentialProviderSpec>> LoadCredentialProviderConfig(
    const std::string& path, const std::string& bin_dir) {
  BERTH_ASSIGN_OR_RETURN(std::string text, ReadFile(path, kMaxConfigBytes));
  return ParseCredentialProviderConfig(text, bin_dir, path);
}

}  // namespace berth::credentials
