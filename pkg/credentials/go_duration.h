// Go duration strings ("10s", "1h30m", "1.5h", "300ms", "0") as kubelet configs use them.
#pragma once

#include <chrono>
#include <string_view>

#include "pkg/base/status.h"

namespace berth::credentials {

// Negative durations are InvalidArgument (no caller here wants one).
Result<std::chrono::milliseconds> ParseGoDuration(std::string_view s);

}  // namespace berth::credentials
