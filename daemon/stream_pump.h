// Copying between a session's channels and local descriptors (a process's
// pipes or pty, conmon's attach socket), shared by exec and attach. The
// waits are the platform's (stream_pump_write.cc on Linux: poll on any
// descriptor; windows/stream_pump_write_windows.cc: WSAPoll on sockets).
#pragma once

#include <functional>
#include <string>
#include <thread>

#include "pkg/streaming/channels.h"

namespace berth::daemon {

// A descriptor the pumps wait on: any on Linux, a socket on Windows.
using PumpFd = streaming::NativeSocket;

// Runs `body(reader, stop_fd)` on a thread of its own (when `reader` is not
// null) and, when destroyed, cancels the reader, signals `stop_fd` (a
// Hangup's, which the body's own waits include) and joins: a handler that returns
// never leaves a thread behind, even one stuck writing to a process that
// does not read.
class ReaderThread {
 public:
  using Body = std::function<void(streaming::ByteReader&, PumpFd stop_fd)>;
  ReaderThread() = default;
  ReaderThread(streaming::ByteReader* reader, Body body);
  ReaderThread(const ReaderThread&) = delete;
  ReaderThread& operator=(const ReaderThread&) = delete;
  ~ReaderThread();

 private:
  streaming::ByteReader* reader_ = nullptr;
  streaming::Hangup stop_;
  std::thread thread_;
};

// Copies client bytes to the non-blocking `fd` until the client's end of
// stream (then calls `on_eof`), an error, or `stop_fd` is signalled.
void CopyClientToFd(streaming::ByteReader& from, PumpFd fd, PumpFd stop_fd,
                    const std::function<void()>& on_eof);

// Writes all of `data` to the non-blocking `fd`, waiting for room; false on
// an error or when `stop_fd` (if valid) is signalled first.
bool WriteAllToFd(PumpFd fd, const char* data, size_t len, PumpFd stop_fd);

}  // namespace berth::daemon
