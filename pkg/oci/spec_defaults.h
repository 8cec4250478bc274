// Defaults shared by the sandbox and container specs.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "pkg/base/status.h"

namespace berth::oci {

// /proc and /sys entries an unprivileged process must not see (masked) or
// write (read-only).
const std::vector<std::string>& DefaultMaskedPaths();
const std::vector<std::string>& DefaultReadonlyPaths();

// The oom_score_adj to put in a spec: `wanted`, raised to the daemon's own
// value when `clamp` is set (without CAP_SYS_RESOURCE the runtime cannot go
// below it). `own` nullopt = read /proc/self/oom_score_adj.
Result<int> ClampOomScoreAdj(int wanted, bool clamp, std::optional<int> own);

}  // namespace berth::oci
