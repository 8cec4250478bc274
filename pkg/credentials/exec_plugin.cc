#include "pkg/credentials/exec_plugin.h"

#include "pkg/process/run.h"

namespace berth::credentials {

Result<std::string> RunExecPlugin(const ExecRequest& req) {
  const std::string what = "credential provider plugin " + req.path;
  process::RunOptions run;
  run.argv = {req.path};
  run.argv.insert(run.argv.end(), req.args.begin(), req.args.end());
  for (const auto& [k, v] : req.env) run.extra_env.push_back(k + "=" + v);
  run.stdin_data = req.stdin_data;
  run.timeout = req.timeout;
  run.stdout_limit = req.max_output;
  run.stderr_limit = req.max_output;  // drained, never shown (it may hold secrets)
  run.kill_at_output_limit = true;
  auto r = process::RunToCompletion(run);
  // The messages are built here, never from the plugin's output.
  if (!r.ok() && run.cancel.cancelled()) return r.status().WithContext(what);
  if (!r.ok() && r.status().code() == Code::kDeadlineExceeded) {
    return DeadlineExceeded(what + " did not finish within " + std::to_string(req.timeout.count()) +
                            " ms; killed");
  }
  if (!r.ok()) return r.status().WithContext("start " + what);
  if (r->out_truncated || r->err_truncated) {
    return ResourceExhausted(what + " wrote more than " + std::to_string(req.max_output) +
                             " bytes");
  }
  if (r->term_signal != 0) {
    return Internal(what + " was killed by signal " + std::to_string(r->term_signal));
  }
  if (r->exit_code != 0) {
    return Internal(what + " exited with status " + std::to_string(r->exit_code) + " (" +
                    std::to_string(r->err.size()) + " bytes on stderr)");
  }
  return std::move(r->out);
}

}  // namespace berth::credentials
