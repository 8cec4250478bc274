// RunToCompletion: runs one program to its end under a deadline, feeding its
// stdin and collecting its stdout and stderr.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "pkg/base/cancel.h"
#include "pkg/base/cancel_scope.h"
#include "pkg/base/status.h"
#include "pkg/process/spawn.h"

namespace berth::process {

struct RunOptions : Command {
  // Descriptors the child receives as fd 3, 4, ... in this order; stdin,
  // stdout and stderr are RunToCompletion's own, nothing else is inherited.
  std::vector<int> pass_fds;
  // Written to the child's stdin, which is then closed (empty: /dev/null).
  std::string stdin_data;
  // The child is killed (SIGKILL, with its process group) when it runs longer.
  std::chrono::milliseconds timeout{std::chrono::seconds(60)};
  // Output beyond this many bytes per stream is read and discarded (and
  // flagged), so a chatty child never blocks on a full pipe.
  size_t stdout_limit = 4 << 20;
  size_t stderr_limit = 4 << 20;
  // Kill the child (and its group) as soon as a stream passes its limit, for
  // children whose output is useless once cut. The result is returned with
  // the truncation flagged.
  bool kill_at_output_limit = false;
  // Put the child in its own process group so a timeout kills its helpers too.
  bool new_process_group = true;
  // Called once the timeout has passed, before the child is killed, with up
  // to `timeout_grace` for the child to end by itself. For a child that
  // supervises another process (`runc exec` waits for the exec'd command):
  // killing that process first lets the child reap it and exit, instead of
  // leaving an orphan for init to reap whenever it gets to it.
  std::function<void()> on_timeout;
  std::chrono::milliseconds timeout_grace{std::chrono::seconds(2)};
  // Whoever the child runs for gave up (a CRI call's client cancelled, its
  // deadline passed): the child is then ended as at the timeout (on_timeout,
  // grace, kill). By default the token of the thread that builds the options
  // (cancel_scope.h), so a call's children stop with the call.
  CancelToken cancel = CurrentCancelToken();
};

struct RunResult : ExitStatus {
  std::string out;
  std::string err;
  bool out_truncated = false;
  bool err_truncated = false;
};

// Runs the child to completion. What it wrote before exiting is returned;
// helpers it left running may keep its pipes open, and are not waited for.
// Errors: the program could not be started (see Spawn), or it outlived the
// timeout (DeadlineExceeded naming argv[0], with its stderr; the child and
// its group have been killed and the child reaped), or `cancel` was
// cancelled first (Cancelled, or DeadlineExceeded for the token's deadline,
// as cancel.Check says; killed and reaped alike). A child that exits
// non-zero is not an error here: callers read RunResult.
Result<RunResult> RunToCompletion(const RunOptions& options);

}  // namespace berth::process
