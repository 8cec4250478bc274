// Windows build of random_bytes.h: the system's preferred CSPRNG through
// BCryptGenRandom (random_bytes.cc is the Linux one, getrandom(2)).
#include <windows.h>
// bcrypt.h needs the types windows.h defines.
#include <bcrypt.h>

#include <algorithm>
#include <string>

#include "pkg/base/random_bytes.h"

namespace berth {

Status FillRandomBytes(std::span<std::uint8_t> out) {
  std::size_t done = 0;
  while (done < out.size()) {
    // BCryptGenRandom takes a ULONG length: fill in chunks of at most 1 MiB.
    const ULONG chunk = static_cast<ULONG>(std::min<std::size_t>(out.size() - done, 1u << 20));
    const NTSTATUS st =
        BCryptGenRandom(nullptr, out.data() + done, chunk, BCRYPT_USE_SYSTEM_PREFERRED_RNG);
    if (st < 0) {
      return Internal("BCryptGenRandom failed with NTSTATUS " +
                      std::to_string(static_cast<unsigned long>(st)));
    }
    done += chunk;
  }
  return OkStatus();
}

}  // namespace berth
