// Subprocess: runs one program as a child without a shell and collects what it
// wrote, under a deadline.
//
// Why our own: runtime and conmon calls must never block the daemon forever,
// must not leak descriptors into the child (other threads open fds at any
// time), and must report the child's stderr in the error they return.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "pkg/base/status.h"

namespace berth::oci {

struct ProcessSpec {
  // argv[0] is the path executed (no PATH lookup, no shell).
  std::vector<std::string> argv;
  // Added to (or overriding) the daemon's environment.
  std::vector<std::string> extra_env;
  // Descriptors the child receives as fd 3, 4, ... in this order. All other
  // descriptors above 2 are closed in the child.
  std::vector<int> pass_fds;
  // Written to the child's stdin, which is then closed.
  std::string stdin_data;
  // The child is killed (SIGKILL, with its process group) when it runs longer.
  std::chrono::milliseconds timeout{std::chrono::seconds(60)};
  // Output beyond this many bytes per stream is discarded (and flagged).
  size_t output_limit = 4 << 20;
  // Put the child in its own process group so a timeout kills its helpers too.
  bool new_process_group = true;
  // Called once the timeout has passed, before the child is killed, with up
  // to `timeout_grace` for the child to end by itself. For a child that
  // supervises another process (`runc exec` waits for the exec'd command):
  // killing that process first lets the child reap it and exit, instead of
  // leaving an orphan for init to reap whenever it gets to it.
  std::function<void()> on_timeout;
  std::chrono::milliseconds timeout_grace{std::chrono::seconds(2)};
};

struct ProcessResult {
  int exit_code = -1;    // when the child exited normally
  int term_signal = 0;   // when a signal killed it
  std::string out;
  std::string err;
  bool out_truncated = false;
  bool err_truncated = false;

  bool success() const { return term_signal == 0 && exit_code == 0; }
  // "exit status 3" / "killed by signal 9".
  std::string Describe() const;
};

// Runs the child to completion. Errors: the program could not be started
// (Internal naming argv[0] and the errno), or it outlived the timeout
// (DeadlineExceeded; the child has been killed and reaped). A child that exits
// non-zero is not an error here: callers read ProcessResult.
Result<ProcessResult> RunProcess(const ProcessSpec& spec);

// Waits until the process `pid` (not necessarily our child) has exited, up to
// `timeout`. True when it is gone (or was never there).
bool WaitProcessGone(pid_t pid, std::chrono::milliseconds timeout);

// Quotes an untrusted string for an error message: printable ASCII kept,
// everything else escaped, long strings cut.
std::string QuoteForMessage(std::string_view s, size_t max_len = 256);

}  // namespace berth::oci
