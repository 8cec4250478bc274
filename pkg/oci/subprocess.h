// The names pkg/oci used for running a child before pkg/process existed,
// kept for callers outside pkg/oci (daemon/, the OCI integration test). New
// code uses pkg/process directly, and pkg/base/quote.h for QuoteForMessage
// (included here for the files that still reach it through this header).
#pragma once

#include "pkg/base/quote.h"
#include "pkg/process/run.h"
#include "pkg/process/wait_gone.h"

namespace berth::oci {

using ProcessSpec = process::RunOptions;
using ProcessResult = process::RunResult;

inline Result<ProcessResult> RunProcess(const ProcessSpec& spec) {
  return process::RunToCompletion(spec);
}

using process::WaitProcessGone;

}  // namespace berth::oci
