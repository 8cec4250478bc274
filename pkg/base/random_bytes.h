// The one home of cryptographically secure random bytes (object IDs, stream
// tokens, credential-spec value names): the kernel's CSPRNG via getrandom(2)
// (random_bytes.cc); on Windows BCryptGenRandom (random_bytes_windows.cc).
#pragma once

#include <cstdint>
#include <span>

#include "pkg/base/status.h"

namespace berth {

// Fills all of `out` from getrandom(2), retrying short reads and EINTR. Blocks
// only until the kernel's pool is first seeded at boot. Fails (Internal,
// naming getrandom and the cause) only if the kernel refuses.
Status FillRandomBytes(std::span<std::uint8_t> out);

}  // namespace berth
