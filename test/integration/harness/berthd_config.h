// What a test may choose of a BerthdProcess's berth.yaml. The harness writes
// the rest (root, runroot, listen, shutdown file, CNI conf dir) into the
// process's own temporary directory, so tests never share state.
#pragma once

#include <string>
#include <vector>

namespace berth::testing {

struct BerthdConfig {
  // CNI plugin dirs, searched in this order; empty keeps berthd's default.
  std::vector<std::string> cni_plugin_dirs = {};
  // A conflist written into the CNI conf dir (as 10-it.conflist) when set.
  std::string conflist = {};
  // cni.network_config_template: the template berthd renders the pod CIDR
  // into (UpdateRuntimeConfig); empty leaves it unset.
  std::string network_config_template = {};
  // Appended to the generated config (runtimes, registries, ...).
  std::string extra_yaml = {};
};

// Writes berth.yaml for a berthd whose state lives under `dir`, listening on
// `socket`, plus the config's conflist under <dir>/cni.
void WriteBerthdConfig(const BerthdConfig& config, const std::string& dir,
                       const std::string& socket, const std::string& config_path);

}  // namespace berth::testing
