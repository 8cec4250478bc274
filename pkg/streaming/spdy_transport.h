// The byte transport a SPDY session runs over: a connected, blocking,
// reliable byte stream (TCP, TLS, a unix socket) seen through three calls.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "pkg/base/status.h"

namespace berth::streaming::spdy {

// Threading contract the session keeps, and an implementation may rely on:
// ReadSome is only ever called by the thread running Session::Run, WriteAll
// and WriteParts only under the session's write lock (one at a time), and the two may run
// at the same time as each other. Close may be called from any thread at
// any time, also while the others are blocked, and more than once.
//
// A TLS implementation must make the concurrent ReadSome and WriteAll safe
// itself (an SSL object allows one operation at a time).
class Transport {
 public:
  virtual ~Transport() = default;
  // Blocks until at least one byte is read into `buf`; 0 means the peer
  // closed its side. An error once the transport is closed.
  virtual Result<size_t> ReadSome(void* buf, size_t len) = 0;
  // Blocks until all `len` bytes are written or the transport fails.
  virtual Status WriteAll(const void* data, size_t len) = 0;
  // The same for `parts` one after another (a DATA frame's header and its
  // payload, so the payload is not copied to sit behind the header). This
  // default copies them together; transports that can gather override it.
  virtual Status WriteParts(std::span<const std::string_view> parts) {
    std::string all;
    for (std::string_view p : parts) all.append(p);
    return WriteAll(all.data(), all.size());
  }
  // Makes blocked and later ReadSome/WriteAll calls return promptly (an
  // error or 0). Does not free anything: that is the destructor's job.
  virtual void Close() = 0;
};

}  // namespace berth::streaming::spdy
