// What berthd and conmon exchange, the same on every system: conmon's
// command line, its sync-pipe message and the pid files it and the runtime
// write (conmon.h). The driver that runs conmon is conmon.cc (Linux);
// conmon_windows.cc says why there is none on Windows.
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "pkg/base/quote.h"
#include "pkg/fs/atomic_file.h"
#include "pkg/oci/conmon.h"
#include "pkg/oci/gvisor_shim.h"

namespace berth::oci {
namespace {

// A pid is a few digits; anything longer is not one.
constexpr size_t kMaxPidFileBytes = 31;

}  // namespace

std::vector<std::string> BuildConmonArgv(const ConmonConfig& config, const OciRuntime& runtime,
                                         const ConmonCreateRequest& req) {
  std::vector<std::string> a = {config.conmon_path,
                                "--api-version",
                                "1",
                                "--cid",
                                req.id,
                                "--cuuid",
                                req.id,
                                "--name",
                                req.name.empty() ? req.id : req.name,
                                "--bundle",
                                req.bundle,
                                "--container-pidfile",
                                req.container_pidfile,
                                "--conmon-pidfile",
                                req.conmon_pidfile,
                                "--log-path",
                                "k8s-file:" + req.log_path,
                                "--exit-dir",
                                req.exit_dir,
                                "--full-attach"};
  const OciRuntimeConfig& rc = runtime.config();
  if (rc.kind == RuntimeKind::kGvisor) {
    // The shim takes runsc's path first, then runsc's global flags as
    // single words (it finds its command as the first non-flag word).
    a.push_back("--runtime");
    a.push_back(config.gvisor_shim.empty() ? FindGvisorShim() : config.gvisor_shim);
    a.push_back("--runtime-arg");
    a.push_back(kGvisorShimRunscFlag + rc.path);
    if (!rc.root.empty()) {
      a.push_back("--runtime-arg");
      a.push_back("--root=" + rc.root);
    }
    for (const std::string& flag : RuntimeKindGlobalFlags(rc.kind)) {
      a.push_back("--runtime-arg");
      a.push_back(flag);
    }
  } else {
    a.push_back("--runtime");
    a.push_back(rc.path);
    // conmon puts --runtime-arg values between the runtime path and "create".
    if (!rc.root.empty()) {
      a.push_back("--runtime-arg");
      a.push_back("--root");
      a.push_back("--runtime-arg");
      a.push_back(rc.root);
    }
  }
  if (!req.persist_dir.empty()) {
    a.push_back("--persist-dir");
    a.push_back(req.persist_dir);
  }
  if (!req.socket_dir.empty()) {
    a.push_back("--socket-dir-path");
    a.push_back(req.socket_dir);
  }
  if (rc.systemd_cgroup) a.push_back("--systemd-cgroup");
  if (!config.log_level.empty()) {
    a.push_back("--log-level");
    a.push_back(config.log_level);
  }
  if (config.syslog) a.push_back("--syslog");
  if (req.terminal) a.push_back("--terminal");
  if (req.stdin) {
    a.push_back("--stdin");
    if (!req.stdin_once) a.push_back("--leave-stdin-open");
  }
  if (req.no_pivot) a.push_back("--no-pivot");
  if (req.log_size_max >= 0) {
    a.push_back("--log-size-max");
    a.push_back(std::to_string(req.log_size_max));
  }
  return a;
}

Result<pid_t> ParseSyncMessage(std::string_view line, const std::string& runtime_name,
                               const std::string& id) {
  std::string what = runtime_name + " create " + id;
  nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return Internal(what + ": conmon sent an unreadable message " + QuoteForMessage(line));
  }
  auto data = j.find("data");
  if (data == j.end()) data = j.find("pid");
  if (data == j.end() || !data->is_number_integer()) {
    return Internal(what + ": conmon message without a pid: " + QuoteForMessage(line));
  }
  long long v = data->get<long long>();
  if (v > 0 && v <= INT32_MAX) return static_cast<pid_t>(v);
  std::string msg;
  if (auto m = j.find("message"); m != j.end() && m->is_string()) {
    msg = CleanRuntimeError(m->get<std::string>());
  }
  if (msg.empty()) msg = "failed (conmon reported " + std::to_string(v) + ")";
  return Internal(what + ": " + msg);
}

Result<pid_t> ReadPidFile(const std::string& path) {
  Result<std::string> text = ReadFile(path, kMaxPidFileBytes);
  if (!text.ok()) {
    if (text.status().code() != Code::kResourceExhausted) {
      return text.status().WithContext("read pid file " + path);
    }
    return Internal("pid file " + path + " holds no pid: it is longer than " +
                    std::to_string(kMaxPidFileBytes) + " bytes");
  }
  const char* begin = text->c_str();
  char* end = nullptr;
  long v = strtol(begin, &end, 10);
  if (end == begin || v <= 0 || v > INT32_MAX || (*end != '\0' && *end != '\n')) {
    return Internal("pid file " + path + " holds no pid: " + QuoteForMessage(*text));
  }
  return static_cast<pid_t>(v);
}

}  // namespace berth::oci
