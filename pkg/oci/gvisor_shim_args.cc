// The shim's command line and what it reads of runsc's output
// (gvisor_shim.h): plain parsing, the same on every system, so the Windows
// build keeps it although gVisor itself is Linux-only.
#include <nlohmann/json.hpp>
#include <optional>

#include "pkg/base/quote.h"
#include "pkg/oci/gvisor_shim.h"
#include "pkg/oci/runtime_cli.h"  // CleanRuntimeError

namespace berth::oci {
namespace {

std::optional<std::string> JsonString(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

}  // namespace

Result<ShimArgs> ParseShimArgs(const std::vector<std::string>& argv) {
  ShimArgs a;
  size_t i = 1;
  if (argv.size() < 2 || !argv[1].starts_with(kGvisorShimRunscFlag)) {
    return InvalidArgument(std::string(kGvisorShimName) + ": the first argument must be " +
                           kGvisorShimRunscFlag + "<path of runsc>");
  }
  a.runsc = argv[1].substr(std::string_view(kGvisorShimRunscFlag).size());
  if (a.runsc.empty() || a.runsc[0] != '/') {
    return InvalidArgument(std::string(kGvisorShimName) + ": runsc path " +
                           QuoteForMessage(a.runsc) + " is not absolute");
  }
  // Global flags come as single "--flag[=value]" words: the first word that
  // is not a flag is the command.
  for (i = 2; i < argv.size() && argv[i].starts_with("-"); ++i) a.globals.push_back(argv[i]);
  if (i == argv.size()) return InvalidArgument(std::string(kGvisorShimName) + ": no command");
  a.command = argv[i++];
  a.command_args.assign(argv.begin() + static_cast<long>(i), argv.end());
  if (a.command != "create") return a;

  for (size_t k = 0; k < a.command_args.size(); ++k) {
    const std::string& arg = a.command_args[k];
    auto take = [&](const char* flag, std::string* out) -> Result<bool> {
      std::string f = std::string("--") + flag, f1 = std::string("-") + flag;
      for (const std::string& name : {f, f1}) {
        if (arg == name) {
          if (k + 1 >= a.command_args.size()) {
            return InvalidArgument(std::string(kGvisorShimName) + " create: " + name +
                                   " needs a value");
          }
          *out = a.command_args[++k];
          return true;
        }
        if (arg.starts_with(name + "=")) {
          *out = arg.substr(name.size() + 1);
          return true;
        }
      }
      return false;
    };
    bool matched = false;
    std::string ignored;
    for (auto [flag, out] : {std::pair{"bundle", &a.bundle}, std::pair{"pid-file", &a.pid_file},
                             std::pair{"console-socket", &ignored}}) {
      BERTH_ASSIGN_OR_RETURN(bool got, take(flag, out));
      if (got) {
        matched = true;
        break;
      }
    }
    if (matched || arg.starts_with("-")) continue;
    a.id = arg;
  }
  if (a.id.empty())
    return InvalidArgument(std::string(kGvisorShimName) + " create: no container ID");
  if (a.bundle.empty() || a.bundle[0] != '/') {
    return InvalidArgument(std::string(kGvisorShimName) + " create " + a.id +
                           ": --bundle must be an absolute path");
  }
  if (a.pid_file.empty() || a.pid_file[0] != '/') {
    return InvalidArgument(std::string(kGvisorShimName) + " create " + a.id +
                           ": --pid-file must be an absolute path");
  }
  return a;
}

Result<int> ParseRunscWaitOutput(std::string_view text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return Internal("runsc wait printed no JSON object: " + QuoteForMessage(text, 200));
  }
  auto it = j.find("exitStatus");
  if (it == j.end() || !it->is_number_integer()) {
    return Internal("runsc wait printed no exitStatus: " + QuoteForMessage(text, 200));
  }
  long long v = it->get<long long>();
  if (v < 0 || v > 255)
    return Internal("runsc wait exit status " + std::to_string(v) + " is not 0-255");
  return static_cast<int>(v);
}

std::string RunscLogErrors(std::string_view log) {
  std::string out;
  size_t start = 0;
  while (start < log.size()) {
    size_t end = log.find('\n', start);
    if (end == std::string_view::npos) end = log.size();
    std::string_view line = log.substr(start, end - start);
    start = end + 1;
    std::string msg;
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_discarded() && j.is_object()) {
      if (JsonString(j, "level").value_or("") != "error") continue;
      msg = JsonString(j, "msg").value_or("");
    } else {
      // Text format: "E1127 14:50:21.006848 ... message"; only errors count.
      if (line.empty() || line[0] != 'E') continue;
      msg = CleanRuntimeError(line);
    }
    if (msg.empty()) continue;
    if (!out.empty()) out += "; ";
    out += msg;
  }
  return out;
}

}  // namespace berth::oci
