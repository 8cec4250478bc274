// RunToCompletion's steps that are the same on Linux (run.cc) and Windows
// (windows/run_windows.cc): when to stop waiting, ending a child that did not
// end by itself, and the outcome. Internal to pkg/process.
#pragma once

#include <chrono>
#include <optional>

#include "pkg/base/status.h"
#include "pkg/process/run.h"

namespace berth::process::internal {

// How the wait for the child ended.
enum class RunEnd { kExited, kTimedOut, kOverflow, kCancelled };

// A cancellation raised by a flag or a probe wakes no wait: the wait looks
// at the token at least this often.
inline constexpr auto kCancelCheck = std::chrono::milliseconds(25);

// Whether the wait is over: the child exited (reaped into `status`), its
// output passed a limit it is killed at, its caller gave up, or `deadline`
// passed. nullopt: wait on.
Result<std::optional<RunEnd>> CheckRunEnd(Child& child, const RunOptions& options,
                                          const RunResult& result,
                                          std::chrono::steady_clock::time_point deadline,
                                          std::optional<ExitStatus>& status);

// A child that did not exit by itself: on_timeout and its grace (after a
// timeout or a cancellation), then the kill of the child and its group, and
// the reaping; `status` is how it ended.
Status EndUnfinishedChild(Child& child, RunEnd end, const RunOptions& options,
                          std::optional<ExitStatus>& status);

// What RunToCompletion returns: `result` with how the child ended, or the
// error of a timeout or a cancellation.
Result<RunResult> RunOutcome(RunEnd end, const RunOptions& options, const ExitStatus& status,
                             RunResult result);

}  // namespace berth::process::internal
