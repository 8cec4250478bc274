// Connected socket pairs for tests that stand in for a pod's port (a
// socketpair on Linux, socket_pair.cc; a loopback TCP pair on Windows, which
// has no AF_UNIX socketpair, socket_pair_windows.cc).
#pragma once

#include <chrono>

#include "pkg/base/status.h"
#include "pkg/streaming/socket.h"

namespace berth::streaming::testing {

Status MakeSocketPair(OwnedSocket& a, OwnedSocket& b);

// Waits until `s` is readable (data, its end, or an error); false when
// `timeout` passed first.
bool WaitReadable(NativeSocket s, std::chrono::seconds timeout);

// A receive on `s` blocked longer than `timeout` fails instead of hanging.
Status SetReceiveTimeout(NativeSocket s, std::chrono::seconds timeout);

}  // namespace berth::streaming::testing
