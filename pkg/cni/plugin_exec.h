// Running one plugin binary: argv, environment and stdin in, stdout, stderr
// and exit status out, under a deadline. No shell is involved.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "pkg/base/status.h"
#include "pkg/process/run.h"

namespace berth::cni {

struct ExecRequest {
  std::string path;              // absolute path of the binary
  std::vector<std::string> env;  // "KEY=value" entries, the child's whole environment
  std::string stdin_data;
  std::chrono::milliseconds timeout{60000};
};

// Runs `path` through pkg/process in a process group of its own (so a
// timeout kills its children too), with exactly stdin, stdout and stderr.
// Past the deadline the group is killed and DeadlineExceeded returned; a
// plugin writing more than 4 MiB on a stream is killed at once
// (ResourceExhausted). Otherwise the result holds its exit status, stdout
// (`out`) and stderr (`err`).
Result<process::RunResult> RunPlugin(const ExecRequest& req);

// The caller's environment minus CNI_* variables, for plugins that need PATH
// (e.g. portmap runs iptables).
std::vector<std::string> InheritedEnvironment();

}  // namespace berth::cni
