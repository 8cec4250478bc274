#include "pkg/cni/plugin_exec.h"

#include <cstring>

extern char** environ;

namespace berth::cni {
namespace {

constexpr size_t kMaxOutput = 4 << 20;

}  // namespace

std::vector<std::string> InheritedEnvironment() {
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    if (std::strncmp(*e, "CNI_", 4) == 0) continue;
    env.emplace_back(*e);
  }
  return env;
}

Result<process::RunResult> RunPlugin(const ExecRequest& req) {
  const std::string what = "CNI plugin " + req.path;
  process::RunOptions run;
  run.argv = {req.path};
  run.env = req.env;
  run.stdin_data = req.stdin_data;
  run.timeout = req.timeout;
  run.stdout_limit = kMaxOutput;
  run.stderr_limit = kMaxOutput;
  run.kill_at_output_limit = true;  // a cut result is no result
  auto r = process::RunToCompletion(run);
  // The caller's cancellation keeps its own message (the plugin's timeout is not to blame).
  if (!r.ok() && r.status().code() == Code::kDeadlineExceeded && !run.cancel.cancelled()) {
    return DeadlineExceeded(what + " did not finish within " + std::to_string(req.timeout.count()) +
                            " ms; killed");
  }
  if (!r.ok()) return r.status().WithContext(what);
  if (r->out_truncated || r->err_truncated) {
    return ResourceExhausted(what + " wrote more than 4 MiB of output; killed");
  }
  return r;
}

}  // namespace berth::cni
