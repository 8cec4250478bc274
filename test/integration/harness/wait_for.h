// The one polling wait of the integration tests, for conditions berthd (or
// the kernel) offers no event for: a file appearing, a process going.
#pragma once

#include <chrono>
#include <functional>

namespace berth::testing {

// Polls `cond` until it holds (true) or `timeout` passes (false).
bool WaitFor(const std::function<bool()>& cond, std::chrono::milliseconds timeout);

}  // namespace berth::testing
