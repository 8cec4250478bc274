// Runs an exec plugin through pkg/process: request on stdin, response from
// stdout, bounded in time and output. The child runs in its own process
// group, which is SIGKILLed on timeout (so a plugin's own children die too)
// and always reaped.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pkg/base/status.h"

namespace berth::credentials {

struct ExecRequest {
  std::string path;
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>>
      env;  // added to (and overriding) our environment
  std::string stdin_data;
  std::chrono::milliseconds timeout{60000};
  size_t max_output = 1 << 20;  // per stream; the plugin is killed past it
};

// The plugin's stdout when it exits 0 within the timeout. Otherwise:
// DeadlineExceeded (killed), Internal (non-zero exit, signal, spawn failure),
// ResourceExhausted (too much output). Messages never include the plugin's output.
Result<std::string> RunExecPlugin(const ExecRequest& request);

}  // namespace berth::credentials
