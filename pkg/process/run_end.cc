#include "pkg/process/run_end.h"

#include "pkg/process/child_state.h"

namespace berth::process::internal {

using Clock = std::chrono::steady_clock;

Result<std::optional<RunEnd>> CheckRunEnd(Child& child, const RunOptions& options,
                                          const RunResult& result, Clock::time_point deadline,
                                          std::optional<ExitStatus>& status) {
  BERTH_ASSIGN_OR_RETURN(status, child.TryWait());
  if (status) return std::optional<RunEnd>(RunEnd::kExited);
  if (options.kill_at_output_limit && (result.out_truncated || result.err_truncated)) {
    return std::optional<RunEnd>(RunEnd::kOverflow);
  }
  if (options.cancel.cancelled()) return std::optional<RunEnd>(RunEnd::kCancelled);
  if (deadline <= Clock::now()) return std::optional<RunEnd>(RunEnd::kTimedOut);
  return std::optional<RunEnd>();
}

Status EndUnfinishedChild(Child& child, RunEnd end, const RunOptions& options,
                          std::optional<ExitStatus>& status) {
  if ((end == RunEnd::kTimedOut || end == RunEnd::kCancelled) && options.on_timeout) {
    // To its end: it is cleanup.
    UncancellableScope cleanup;
    options.on_timeout();
    BERTH_ASSIGN_OR_RETURN(status, child.WaitFor(Clock::now() + options.timeout_grace));
  }
  if (end != RunEnd::kExited) {
    if (child.leads_process_group()) (void)child.SignalGroup(kKillSignal);
    (void)child.Signal(kKillSignal);  // fails harmlessly when it ended in the grace time
    BERTH_ASSIGN_OR_RETURN(status, child.Wait());
  }
  return OkStatus();
}

Result<RunResult> RunOutcome(RunEnd end, const RunOptions& options, const ExitStatus& status,
                             RunResult result) {
  const std::string& argv0 = options.argv[0];
  static_cast<ExitStatus&>(result) = status;
  if (end == RunEnd::kCancelled) {
    // Cancellation is final, so Check names the cause seen above.
    return options.cancel.Check("stopped waiting for " + argv0 + ", which was killed");
  }
  if (end == RunEnd::kTimedOut) {
    std::string msg =
        argv0 + " timed out after " + std::to_string(options.timeout.count()) + "ms and was killed";
    if (!result.err.empty()) msg += ": " + result.err;
    return DeadlineExceeded(msg);
  }
  return result;
}

}  // namespace berth::process::internal
