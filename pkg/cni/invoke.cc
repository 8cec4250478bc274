#include "pkg/cni/invoke.h"

#include <algorithm>
#include <cctype>

#include "pkg/cni/plugin_exec.h"
#include "pkg/cni/result.h"

namespace berth::cni {
namespace {

using nlohmann::json;

constexpr int kCniErrTryAgainLater = 11;  // CNI spec's well-known "transient" code

Status CheckArgValue(const char* key, const std::string& value) {
  for (unsigned char c : value) {
    if (c == ';' || c == '=' || c < 0x20 || c == 0x7f) {
      return InvalidArgument(std::string(key) + " value \"" + value +
                             "\" contains ';', '=' or a control character");
    }
  }
  if (value.size() > 253) return InvalidArgument(std::string(key) + " value is too long");
  return OkStatus();
}

// The plugin's output reduced to a short, printable excerpt for an error message.
std::string Excerpt(const std::string& s) {
  std::string out;
  for (char c : s.substr(0, 512)) out += (c >= 0x20 && c != 0x7f) ? c : ' ';
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

}  // namespace

const char* CommandName(CniCommand cmd) {
  switch (cmd) {
    case CniCommand::kAdd:
      return "ADD";
    case CniCommand::kDel:
      return "DEL";
    case CniCommand::kCheck:
      return "CHECK";
    case CniCommand::kVersion:
      return "VERSION";
  }
  return "?";
}

Status ValidateRequest(const PodNetworkRequest& req) {
  const std::string& id = req.container_id;
  if (id.empty() || id.size() > 128)
    return InvalidArgument("container ID must be 1-128 characters");
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-';
    if (!ok)
      return InvalidArgument("container ID \"" + id + "\" has characters outside [A-Za-z0-9_.-]");
  }
  if (id == "." || id == "..") return InvalidArgument("container ID \"" + id + "\" is invalid");
  if (!req.netns_path.empty() &&
      (req.netns_path[0] != '/' || req.netns_path.find('\0') != std::string::npos)) {
    return InvalidArgument("netns path \"" + req.netns_path + "\" is not absolute");
  }
  BERTH_ASSIGN_OR_RETURN(std::string args, BuildCniArgs(req));
  BERTH_ASSIGN_OR_RETURN(auto mappings, NormalizePortMappings(req.port_mappings));
  (void)args;
  (void)mappings;
  return OkStatus();
}

Result<std::string> BuildCniArgs(const PodNetworkRequest& req) {
  const std::pair<const char*, const std::string*> args[] = {
      {"K8S_POD_NAMESPACE", &req.pod_namespace},
      {"K8S_POD_NAME", &req.pod_name},
      {"K8S_POD_INFRA_CONTAINER_ID", &req.container_id},
      {"K8S_POD_UID", &req.pod_uid},
  };
  // IgnoreUnknown: plugins that do not know the K8S_* keys must not fail on them.
  std::string out = "IgnoreUnknown=1";
  for (const auto& [key, value] : args) {
    BERTH_RETURN_IF_ERROR(CheckArgValue(key, *value));
    out += std::string(";") + key + "=" + *value;
  }
  return out;
}

Result<std::vector<PortMapping>> NormalizePortMappings(const std::vector<PortMapping>& in) {
  std::vector<PortMapping> out;
  for (const auto& pm : in) {
    if (pm.host_port == 0) continue;  // only host ports need the portmap plugin
    std::string where =
        "port mapping " + std::to_string(pm.host_port) + "->" + std::to_string(pm.container_port);
    if (pm.host_port < 1 || pm.host_port > 65535 || pm.container_port < 1 ||
        pm.container_port > 65535) {
      return InvalidArgument(where + ": port out of range 1-65535");
    }
    PortMapping n = pm;
    std::transform(n.protocol.begin(), n.protocol.end(), n.protocol.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (n.protocol.empty()) n.protocol = "tcp";
    if (n.protocol != "tcp" && n.protocol != "udp" && n.protocol != "sctp") {
      return InvalidArgument(where + ": unknown protocol \"" + pm.protocol + "\"");
    }
    for (char c : n.host_ip) {
      bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
                c == '.' || c == ':';
      if (!ok || n.host_ip.size() > 45) return InvalidArgument(where + ": invalid host IP");
    }
    out.push_back(std::move(n));
  }
  return out;
}

json BuildNetconf(const NetworkConfigList& list, const PluginConf& plugin,
                  const std::optional<json>& prev_result,
                  const std::vector<PortMapping>& port_mappings) {
  json conf = plugin.conf;
  conf["name"] = list.name;
  conf["cniVersion"] = list.cni_version;
  conf.erase("prevResult");
  conf.erase("runtimeConfig");
  if (prev_result) conf["prevResult"] = *prev_result;
  // Runtime config goes only to plugins that declared the capability.
  if (plugin.port_mappings && !port_mappings.empty()) {
    json pms = json::array();
    for (const auto& pm : port_mappings) {
      json m = {{"hostPort", pm.host_port},
                {"containerPort", pm.container_port},
                {"protocol", pm.protocol}};
      if (!pm.host_ip.empty()) m["hostIP"] = pm.host_ip;
      pms.push_back(std::move(m));
    }
    conf["runtimeConfig"] = {{"portMappings", std::move(pms)}};
  }
  return conf;
}

Result<std::string> InvokePlugin(const InvokeContext& ctx, const NetworkConfigList& list,
                                 const PluginConf& plugin, const std::optional<json>& prev_result) {
  const std::string cmd = CommandName(ctx.command);
  const std::string who =
      "CNI plugin \"" + plugin.type + "\" (network \"" + list.name + "\") " + cmd;
  auto binary = FindPluginBinary(ctx.plugin_dirs, plugin.type);
  if (!binary.ok()) return binary.status().WithContext(who);

  ExecRequest req;
  req.path = *binary;
  req.timeout = ctx.timeout;
  req.env = InheritedEnvironment();
  std::string path_list;
  for (const auto& d : ctx.plugin_dirs) path_list += (path_list.empty() ? "" : ":") + d;
  req.env.push_back("CNI_COMMAND=" + cmd);
  req.env.push_back("CNI_PATH=" + path_list);
  if (ctx.command != CniCommand::kVersion) {
    req.env.push_back("CNI_CONTAINERID=" + ctx.container_id);
    req.env.push_back("CNI_NETNS=" + ctx.netns);
    req.env.push_back("CNI_IFNAME=" + ctx.ifname);
    req.env.push_back("CNI_ARGS=" + ctx.cni_args);
    req.stdin_data = BuildNetconf(list, plugin, prev_result, ctx.port_mappings).dump();
  } else {
    req.stdin_data = json{{"cniVersion", list.cni_version}}.dump();
  }

  auto run = RunPlugin(req);
  if (!run.ok()) return run.status().WithContext(who);
  const process::RunResult& out = *run;
  if (out.term_signal != 0) {
    return Internal(who + " failed: killed by signal " + std::to_string(out.term_signal));
  }
  if (out.exit_code != 0) {
    auto err = ParsePluginError(out.out);
    if (!err) err = ParsePluginError(out.err);
    if (!err) {
      std::string text = Excerpt(out.err.empty() ? out.out : out.err);
      return Internal(who + " failed: exit status " + std::to_string(out.exit_code) +
                      (text.empty() ? "" : ": " + text));
    }
    std::string msg = who + " failed: " + Excerpt(err->msg);
    if (!err->details.empty()) msg += ": " + Excerpt(err->details);
    msg += " (code " + std::to_string(err->code) + ")";
    return Status(err->code == kCniErrTryAgainLater ? Code::kUnavailable : Code::kInternal, msg);
  }
  if (ctx.command == CniCommand::kAdd || ctx.command == CniCommand::kVersion) {
    return out.out;
  }
  return std::string();
}

}  // namespace berth::cni
