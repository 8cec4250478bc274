// One CNI plugin call per the CNI spec: the CNI_* environment, the netconf
// on stdin (name and cniVersion injected from the list, prevResult chained,
// runtimeConfig for declared capabilities), the answer parsed or turned into
// a Status that names the plugin and carries its message.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "pkg/base/status.h"
#include "pkg/cni/conf_list.h"
#include "pkg/cni/types.h"

namespace berth::cni {

enum class CniCommand { kAdd, kDel, kCheck, kVersion };
const char* CommandName(CniCommand cmd);

// Checks the request's strings before they reach an environment variable, a
// file name or a log line: the container ID is [A-Za-z0-9_.-]{1,128}; CNI_ARGS
// values hold no ';', '=', or control characters; port mappings are in range.
Status ValidateRequest(const PodNetworkRequest& req);

// "IgnoreUnknown=1;K8S_POD_NAMESPACE=..;K8S_POD_NAME=..;K8S_POD_INFRA_CONTAINER_ID=..;K8S_POD_UID=..".
// InvalidArgument if a value could smuggle another key.
Result<std::string> BuildCniArgs(const PodNetworkRequest& req);

// Lower-cases protocols ("TCP" -> "tcp", empty -> "tcp") and drops mappings
// without a host port; InvalidArgument on a bad port or protocol.
Result<std::vector<PortMapping>> NormalizePortMappings(const std::vector<PortMapping>& in);

struct InvokeContext {
  CniCommand command = CniCommand::kAdd;
  std::string container_id;
  std::string netns;  // "" allowed for DEL
  std::string ifname;
  std::string cni_args;
  std::vector<std::string> plugin_dirs;
  std::vector<PortMapping> port_mappings;  // already normalized
  std::chrono::milliseconds timeout{60000};
};

// The stdin document for `plugin` of `list`.
nlohmann::json BuildNetconf(const NetworkConfigList& list, const PluginConf& plugin,
                            const std::optional<nlohmann::json>& prev_result,
                            const std::vector<PortMapping>& port_mappings);

// Runs one plugin. On ADD returns the plugin's stdout (a result); on DEL and
// CHECK returns "" . A non-zero exit becomes an error whose message reads
// `CNI plugin "<type>" (network "<name>") <CMD> failed: <msg>[: <details>]`.
Result<std::string> InvokePlugin(const InvokeContext& ctx, const NetworkConfigList& list,
                                 const PluginConf& plugin,
                                 const std::optional<nlohmann::json>& prev_result);

}  // namespace berth::cni
