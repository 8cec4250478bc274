// The timestamps of stats readings: wall-clock nanoseconds since the Unix
// epoch, as the CRI's stats messages carry them.
#pragma once

#include <chrono>
#include <cstdint>

namespace berth::stats {

inline int64_t WallClockNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace berth::stats
