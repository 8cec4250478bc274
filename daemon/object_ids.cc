#include "daemon/object_ids.h"

#include <chrono>
#include <cstdlib>

#include "pkg/base/random_bytes.h"

namespace berth::daemon {

std::string NewObjectId() {
  unsigned char bytes[32];
  if (!FillRandomBytes(bytes).ok()) std::abort();  // no entropy: fatal
  static const char kHex[] = "0123456789abcdef";
  std::string id;
  for (unsigned char b : bytes) {
    id += kHex[b >> 4];
    id += kHex[b & 15];
  }
  return id;
}

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace berth::daemon
