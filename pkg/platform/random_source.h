// RandomSource: where credential-spec value names get their randomness.
// Injectable so tests can force a name collision; production uses the OS CSPRNG.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "pkg/base/status.h"

namespace berth::platform {

class RandomSource {
 public:
  virtual ~RandomSource() = default;
  // Fills `out` completely with cryptographically secure random bytes, or fails.
  virtual Status Fill(std::span<std::uint8_t> out) = 0;
};

// The operating system's CSPRNG: getrandom(2) on Linux, BCryptGenRandom on Windows.
std::unique_ptr<RandomSource> SystemRandomSource();

}  // namespace berth::platform
