#include "cmd/berthd/flags.h"

namespace berth::cmd {

std::string Usage() {
  return "usage: berthd [config] [--config FILE] [--root DIR] [--runroot DIR]\n"
         "              [--listen SOCKET] [--log-level LEVEL]\n"
         "  (no command)  serve the CRI v1 API on the configured socket\n"
         "  config        print the effective configuration and exit\n"
         "defaults: --config /etc/berth/berth.yaml (drop-ins in FILE.d/*.yaml)\n";
}

Result<Flags> ParseFlags(const std::vector<std::string>& args) {
  Flags f;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-h" || a == "--help" || a == "help") {
      f.command = "help";
      continue;
    }
    if (a == "config" || a == "serve") {
      f.command = a;
      continue;
    }
    // Accept both "--flag value" and "--flag=value".
    std::string name = a, value;
    bool inline_value = false;
    if (auto eq = a.find('='); a.rfind("--", 0) == 0 && eq != std::string::npos) {
      name = a.substr(0, eq);
      value = a.substr(eq + 1);
      inline_value = true;
    }
    auto take = [&](std::optional<std::string>* out) -> Status {
      if (!inline_value) {
        if (i + 1 >= args.size()) return InvalidArgument("flag " + name + " needs a value");
        value = args[++i];
      }
      *out = value;
      return OkStatus();
    };
    std::optional<std::string> v;
    if (name == "--config") {
      BERTH_RETURN_IF_ERROR(take(&v));
      f.config_path = *v;
      f.config_given = true;
    } else if (name == "--root") {
      BERTH_RETURN_IF_ERROR(take(&f.overrides.root));
    } else if (name == "--runroot") {
      BERTH_RETURN_IF_ERROR(take(&f.overrides.runroot));
    } else if (name == "--listen") {
      BERTH_RETURN_IF_ERROR(take(&f.overrides.listen));
    } else if (name == "--log-level") {
      BERTH_RETURN_IF_ERROR(take(&f.overrides.log_level));
    } else {
      return InvalidArgument("unknown argument \"" + a + "\"");
    }
  }
  return f;
}

}  // namespace berth::cmd
