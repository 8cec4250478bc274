// Running one plugin binary: argv, environment and stdin in, stdout, stderr
// and exit status out, under a deadline. No shell is involved.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "pkg/base/status.h"

namespace berth::cni {

struct ExecRequest {
  std::string path;              // absolute path of the binary
  std::vector<std::string> env;  // "KEY=value" entries, the child's whole environment
  std::string stdin_data;
  std::chrono::milliseconds timeout{60000};
};

struct ExecOutput {
  int exit_code = -1;  // valid when !signaled
  bool signaled = false;
  int term_signal = 0;
  std::string stdout_data;
  std::string stderr_data;
};

// Starts `path` in a process group of its own (so a timeout kills its
// children too), feeds stdin, collects stdout/stderr (each capped at 4 MiB)
// until the child exits and the pipes close. Past the deadline the group is
// killed and DeadlineExceeded is returned. Every descriptor is close-on-exec
// in the parent, so parallel calls leak nothing into each other's children,
// and the child closes every fd above 2 before exec.
Result<ExecOutput> RunPlugin(const ExecRequest& req);

// The caller's environment minus CNI_* variables, for plugins that need PATH
// (e.g. portmap runs iptables).
std::vector<std::string> InheritedEnvironment();

}  // namespace berth::cni
