// berthd's command line: "berthd [config] [--config F] [--root D] ...".
#pragma once

#include <string>
#include <vector>

#include "pkg/base/status.h"
#include "pkg/config/config.h"

namespace berth::cmd {

struct Flags {
  std::string command = "serve";  // or "config" (print the effective config), "help"
  std::string config_path = "/etc/berth/berth.yaml";
  bool config_given = false;  // an explicit --config must exist
  config::Overrides overrides;
};

Result<Flags> ParseFlags(const std::vector<std::string>& args);
std::string Usage();

}  // namespace berth::cmd
