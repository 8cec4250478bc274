// The sockets pkg/streaming reads and writes outside Asio (a pod's forwarded
// port, the hang-up wake-up) and the few calls made on them: a descriptor on
// Linux (socket.cc), a Winsock SOCKET on Windows (windows/socket_windows.cc),
// since Winsock's sockets are not C runtime descriptors.
#pragma once

#include <cstddef>

#ifdef _WIN32
#include "pkg/streaming/windows/scoped_socket.h"
#else
#include "pkg/fs/scoped_fd.h"
#endif

namespace berth::streaming {

#ifdef _WIN32
using OwnedSocket = ScopedSocket;
using NativeSocket = ScopedSocket::Native;
#else
using OwnedSocket = ScopedFd;
using NativeSocket = int;
#endif

// Sends all of `data`, retrying interrupted and partial sends; false once
// the peer is gone (never a signal: a closed peer must not kill the daemon).
bool SendAll(NativeSocket s, const char* data, size_t len);

// One receive: bytes read, 0 at end of stream, -1 on an error (the socket
// was shut down under it or reset).
long ReceiveSome(NativeSocket s, char* buf, size_t len);

enum class ShutdownHow { kWrite, kBoth };
// Half-closes (kWrite) or ends the socket both ways (kBoth), which also wakes
// a thread blocked receiving or sending on it (on Windows by cancelling its
// pending I/O as well). Errors are ignored: a socket
// the peer has already reset is shut down as far as it can be.
void ShutdownSocket(NativeSocket s, ShutdownHow how);

}  // namespace berth::streaming
