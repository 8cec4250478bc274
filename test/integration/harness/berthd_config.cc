#include "test/integration/harness/berthd_config.h"

#include <filesystem>
#include <fstream>

namespace berth::testing {

void WriteBerthdConfig(const BerthdConfig& config, const std::string& dir,
                       const std::string& socket, const std::string& config_path) {
  std::filesystem::create_directories(dir + "/cni");
  std::ofstream yaml(config_path);
  yaml << "root: " << dir << "/root\n"
       << "runroot: " << dir << "/run\n"
       << "listen: " << socket << "\n"
       << "shutdown_file: " << dir << "/root/berth.shutdown\n"
       << "log_level: debug\n"
       << "cni: {conf_dir: " << dir << "/cni";
  if (!config.cni_plugin_dirs.empty()) {
    yaml << ", plugin_dirs: [";
    for (size_t i = 0; i < config.cni_plugin_dirs.size(); ++i) {
      yaml << (i ? ", " : "") << config.cni_plugin_dirs[i];
    }
    yaml << "]";
  }
  if (!config.network_config_template.empty()) {
    yaml << ", network_config_template: \"" << config.network_config_template << "\"";
  }
  yaml << "}\n" << config.extra_yaml << "\n";
  if (!config.conflist.empty()) std::ofstream(dir + "/cni/10-it.conflist") << config.conflist;
}

}  // namespace berth::testing
