// A SPDY/3.1 session over one connection, in either role, for the
// kubelet's streaming protocols (exec, attach, port-forward): the peer opens
// one stream per channel, data flows both ways, FIN half-closes.
//
// Threading: one thread calls Run, which reads and dispatches frames until
// the connection ends; any other thread may open streams, ping, send
// GOAWAY, close, and read and write streams at the same time. Frames go out
// whole under one write lock, so they never interleave.
//
// Stream acceptance (server role): a stream the peer opens is answered with
// an empty SYN_REPLY before the new-stream callback sees it, so handlers can
// write at once; to refuse one, call Reset(kRefusedStream) on it.
//
// Flow control: SPDY/3.1 has per-stream and per-session windows (64 KiB to
// start). Kubernetes' peers (spdystream, in client-go and the kubelet) never
// send WINDOW_UPDATE and never wait for one, so this session ignores the
// peer's windows when sending: honouring them would stall every stream after
// 64 KiB. What it receives is bounded by its own buffers instead (the read
// loop stops reading the socket while a stream's buffer is full), and it
// still hands credit back with WINDOW_UPDATE as consumers read, so a peer
// that does honour windows keeps sending.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>

#include "pkg/base/status.h"
#include "pkg/streaming/spdy_frame.h"
#include "pkg/streaming/spdy_header_block.h"
#include "pkg/streaming/spdy_stream.h"
#include "pkg/streaming/spdy_transport.h"

namespace berth::streaming::spdy {

// The client opens odd-numbered streams and pings, the server even ones.
enum class Role { kClient, kServer };

struct SessionOptions {
  // Receive buffer per stream. Memory per session stays below
  // max_concurrent_streams times this, plus one frame.
  size_t stream_buffer_bytes = 256 * 1024;
  // DATA frames this side sends carry at most this many bytes: big enough
  // that a bulk transfer costs few writes (port-forward reads 64 KiB from
  // the pod at a time), small against the stream buffers. spdystream takes
  // any size up to SPDY's 16 MiB.
  size_t max_write_frame = 64 * 1024;
  // Largest control frame accepted (header blocks are the big ones).
  uint32_t max_control_frame = 1 << 20;
  // Largest decompressed header block accepted.
  size_t max_header_block_bytes = kMaxHeaderBlockBytes;
  // Peer streams beyond this many open ones are refused (RST REFUSED_STREAM).
  size_t max_concurrent_streams = 1000;
  // Return flow-control credit as data is read (see the top of this file).
  bool send_window_updates = true;
};

// Called on the Run thread for each stream the peer opens. It must not
// block (the read loop waits for it): hand the stream to a thread.
using NewStreamCallback = std::function<void(std::shared_ptr<Stream>)>;

namespace internal {
class SessionCore;
}

class Session {
 public:
  Session(std::unique_ptr<Transport> transport, Role role, SessionOptions options = {});
  // Closes the session (as Close) and waits for Run to return, so it must
  // not run on the Run thread (e.g. inside the callback). Streams may
  // outlive the session; their calls then fail.
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Reads frames until the connection ends; call once, on the thread that
  // owns the connection. Returns OK when the peer closed the connection,
  // after Close, or after a GOAWAY once no streams were left;
  // InvalidArgument naming the fault when the peer broke the protocol (a
  // GOAWAY with PROTOCOL_ERROR went out first); the transport's error
  // otherwise. On return every stream has been told: reads fail unless the
  // peer had finished sending, writes fail. `on_stream` may be empty for a
  // client, whose peer's streams are then refused.
  Status Run(NewStreamCallback on_stream = nullptr);

  // Opens a stream with `headers` (SYN_STREAM; `fin`: this side sends no
  // data). Returns without waiting for the reply (see Stream::WaitReply).
  // FailedPrecondition after a GOAWAY either way. Note that spdystream
  // rejects header names such as connection, host, keep-alive,
  // proxy-connection and transfer-encoding.
  Result<std::shared_ptr<Stream>> OpenStream(const HeaderBlock& headers, bool fin = false);

  // Sends a PING and waits for its echo: DeadlineExceeded after `timeout`,
  // Unavailable if the session ends first.
  Status Ping(std::chrono::milliseconds timeout);

  // Sends GOAWAY (once) naming the last peer stream accepted; later peer
  // streams are refused, open ones carry on, and the connection closes
  // when the last of them has closed.
  Status GoAway(GoAwayStatus status = GoAwayStatus::kOk);

  // Ends the session now without sending anything: the transport is closed,
  // Run returns, blocked stream calls fail. Never blocks on the network;
  // idempotent; any thread.
  void Close();

  // Streams not yet closed in both directions.
  size_t open_streams() const;
  bool goaway_received() const;

 private:
  std::shared_ptr<internal::SessionCore> core_;
};

}  // namespace berth::streaming::spdy
