// The names pkg/oci used for running a child before pkg/process existed,
// kept for callers outside pkg/oci (daemon/, the OCI integration test). New
// code uses pkg/process directly.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "pkg/process/run.h"
#include "pkg/process/wait_gone.h"

namespace berth::oci {

using ProcessSpec = process::RunOptions;
using ProcessResult = process::RunResult;

inline Result<ProcessResult> RunProcess(const ProcessSpec& spec) {
  return process::RunToCompletion(spec);
}

using process::WaitProcessGone;

// Quotes an untrusted string for an error message: printable ASCII kept,
// everything else escaped, long strings cut.
std::string QuoteForMessage(std::string_view s, size_t max_len = 256);

}  // namespace berth::oci
