// IDs and timestamps every created object (pod sandbox, container) gets.
#pragma once

#include <cstdint>
#include <string>

namespace berth::daemon {

// 64 lowercase hex digits from the kernel's random source.
std::string NewObjectId();
// Nanoseconds since the Unix epoch (CRI timestamps).
int64_t NowNs();

}  // namespace berth::daemon
