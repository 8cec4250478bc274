// Frames and header blocks written out byte by byte in tests (no sockets:
// these tests also run in the Windows build, test/windows/streaming.cmake).
#pragma once

#include <initializer_list>
#include <string>

namespace berth::streaming::spdy::testing {

// Bytes written out by hand, e.g. from the spec's frame layouts.
inline std::string Bytes(std::initializer_list<int> bytes) {
  std::string s;
  for (int b : bytes) s.push_back(static_cast<char>(b));
  return s;
}

}  // namespace berth::streaming::spdy::testing
