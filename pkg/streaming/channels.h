// What exec, attach and port-forward handlers see of a client, whatever
// protocol (SPDY/3.1 or WebSocket) carries it: byte channels in and out,
// terminal sizes, and a hang-up signal. The protocol layers implement these;
// the daemon implements the handlers.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "pkg/base/status.h"
#include "pkg/streaming/socket.h"
#include "pkg/streaming/stream_request.h"

namespace berth::streaming {

struct TerminalSize {
  uint16_t width = 0;
  uint16_t height = 0;
  bool operator==(const TerminalSize&) const = default;
};

// Bytes from the client. Read blocks until data, end of stream (0) or an
// error (the client reset the stream or went away).
class ByteReader {
 public:
  virtual ~ByteReader() = default;
  virtual Result<size_t> Read(char* buf, size_t len) = 0;
  // Wakes a blocked Read, which then fails, as do later ones: a handler that
  // is done calls it before joining the thread that reads.
  virtual void Cancel() = 0;
};

// Bytes to the client. Write blocks while the client is not reading (that is
// the back-pressure that keeps a slow client from growing the daemon); an
// error means the client is gone. Close ends the stream (FIN).
class ByteWriter {
 public:
  virtual ~ByteWriter() = default;
  virtual Status Write(std::string_view data) = 0;
  virtual void Close() = 0;
};

// Signalled once when the client's connection ends: a descriptor that
// becomes readable, so a handler can wait for it in the same poll as its own
// fds. On Linux an eventfd (hangup.cc); on Windows, whose WSAPoll waits on
// sockets only, a loopback UDP socket that sends itself a datagram
// (windows/hangup_windows.cc).
class Hangup {
 public:
  Hangup();
  NativeSocket fd() const { return fd_.get(); }
  void Signal();
  bool signalled() const;

 private:
  OwnedSocket fd_;
};

// One exec or attach session. Channels the request did not ask for are null.
struct ExecIo {
  ByteReader* stdin = nullptr;
  ByteWriter* stdout = nullptr;
  ByteWriter* stderr = nullptr;
  // Terminal sizes as the client sends them (tty only), JSON objects
  // {"Width":w,"Height":h} one after another; read them with
  // NextTerminalSize.
  ByteReader* resize = nullptr;
  Hangup* hangup = nullptr;
};

// The next size from a resize channel, nullopt at its end (or on garbage,
// which ends resizing but not the session). `carry` keeps bytes of a size
// that is not complete yet between calls.
std::optional<TerminalSize> NextTerminalSize(ByteReader& resize, std::string& carry);

// How a session ended, for the client's error channel.
struct ExecOutcome {
  Status status;                 // not OK: the session failed (message shown)
  std::optional<int> exit_code;  // exec: the command's exit code
};

// What the daemon plugs into the streaming server.
struct Handlers {
  // Runs an exec or attach (request.kind says which) until it ends.
  std::function<ExecOutcome(const StreamRequest&, ExecIo&)> exec;
  // A connected socket to `port` inside the pod of `request.sandbox_id`.
  std::function<Result<OwnedSocket>(const StreamRequest&, uint16_t port)> dial;
};

}  // namespace berth::streaming
