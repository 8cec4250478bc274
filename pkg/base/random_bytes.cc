#include "pkg/base/random_bytes.h"

#include <sys/random.h>

#include <cerrno>

namespace berth {

Status FillRandomBytes(std::span<std::uint8_t> out) {
  std::size_t done = 0;
  while (done < out.size()) {
    // getrandom may return fewer bytes than asked (past 256 bytes, or when a
    // signal arrives), so loop until the span is full.
    const ssize_t n = ::getrandom(out.data() + done, out.size() - done, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("getrandom", errno);
    }
    done += static_cast<std::size_t>(n);
  }
  return OkStatus();
}

}  // namespace berth
