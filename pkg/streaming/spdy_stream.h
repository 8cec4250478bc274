// One SPDY stream: a pair of byte channels, one each way, opened with a
// header block. Handler threads read and write it; the session's read loop
// fills it.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "pkg/base/status.h"
#include "pkg/streaming/spdy_frame.h"
#include "pkg/streaming/spdy_header_block.h"

namespace berth::streaming::spdy {

namespace internal {
class SessionCore;
}
class Stream;

// Flow-control credit goes back to the peer in steps of half SPDY/3.1's
// initial 64 KiB window: often enough that a sender honouring windows never
// stalls, rarely enough to cost little.
inline constexpr uint32_t kWindowUpdateStep = 32 * 1024;

// What a stream needs from the connection it lives on (the session).
class StreamOwner {
 public:
  virtual ~StreamOwner() = default;
  // Sends one DATA frame unless the stream can no longer send.
  virtual Status SendData(Stream& stream, std::string_view data, bool fin) = 0;
  virtual Status SendReset(Stream& stream, RstStatus status) = 0;
  // The consumer took `n` bytes; `stream_delta` > 0 asks for a stream-level
  // WINDOW_UPDATE of that size.
  virtual void Consumed(uint32_t stream_id, size_t n, uint32_t stream_delta) = 0;
};

// Thread safety: every public method may be called from any thread. Read
// is meant for one reader at a time and Write for one writer at a time
// (two concurrent writers would interleave their bytes at frame
// boundaries); a reader and a writer may run concurrently. Nothing here
// ever blocks the session's read loop except a full receive buffer.
class Stream {
 public:
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  uint32_t id() const { return id_; }
  // Opened by this side (OpenStream) rather than by the peer.
  bool locally_opened() const { return local_; }
  // The SYN_STREAM's headers (the peer's, or the ones this side sent).
  const HeaderBlock& headers() const { return headers_; }
  // The SYN_REPLY's headers of a locally opened stream, once it came.
  HeaderBlock reply_headers() const;

  // Locally opened streams: blocks until the peer's SYN_REPLY (OK), its
  // RST_STREAM or the session's end (errors). Peers such as spdystream drop
  // DATA that arrives before they replied, so wait before writing to them.
  // Streams the peer opened return OK at once.
  Status WaitReply();

  // Blocks until data is buffered, then copies up to `len` bytes. Returns 0
  // once the peer's FIN has been reached (and for len == 0); an error after
  // an RST_STREAM (either side's), CancelRead, or the session's end without
  // a FIN. Reading makes room for the read loop and returns flow-control
  // credit to the peer.
  Result<size_t> Read(void* buf, size_t len);
  // Sends `data` as DATA frames of at most the session's max_write_frame;
  // blocks while the transport does. An error once this side has sent FIN
  // or the stream was reset, or if the session is gone.
  Status Write(std::string_view data);
  // Half-closes this side (an empty DATA frame with FIN).
  Status CloseWrite();
  // Abandons the stream both ways with RST_STREAM (nothing is sent if the
  // stream was already closed both ways). Blocked Reads and Writes fail.
  Status Reset(RstStatus status = RstStatus::kCancel);
  // Stops reading without telling the peer: wakes a blocked Read (which
  // fails, as do later ones), drops buffered data and all that arrives
  // later. A handler that is finished calls it so the read loop can never
  // stall on a buffer nobody drains.
  void CancelRead();

  // Bytes received and not yet read; never above the session's
  // stream_buffer_bytes (the read loop waits instead).
  size_t buffered() const;

 private:
  friend class internal::SessionCore;

  Stream(std::weak_ptr<StreamOwner> owner, uint32_t id, bool local, HeaderBlock headers,
         size_t buffer_limit, size_t max_write_frame);

  // --- Called by the session (never with the session's locks held, except
  // BeginSend, which runs under its write lock). ---
  // Appends data from the peer, blocking while it would not fit in the
  // buffer (unless the buffer is empty). Data after CancelRead, a reset or
  // the session's end is dropped.
  // Takes the bytes over (no copy).
  void Deliver(std::string data, bool fin);
  // False if a reply had already come (the peer broke the protocol).
  bool OnReply(HeaderBlock headers, bool fin);
  void OnRemoteReset(RstStatus status);
  void OnSessionEnd(const Status& why);
  // SYN_STREAM flags of a peer-opened stream: FIN (the peer sends nothing)
  // and UNIDIRECTIONAL (this side may send nothing).
  void SetHalfClosed(bool remote, bool local);
  // Checks that a DATA frame may go out and records a FIN.
  Status BeginSend(bool fin);
  // Records a local reset; false when there is nothing left to reset.
  bool MarkLocalReset(RstStatus status);
  bool remote_closed() const;
  // True exactly once, when both directions have ended: the session then
  // forgets the stream.
  bool TakeClosed();

  bool DoneLocked() const { return reset_ || (local_fin_ && remote_fin_); }
  // Ends the stream both ways with `why` for later calls, waking everyone.
  void ResetLocked(Status why);
  void DropBufferLocked();

  const std::weak_ptr<StreamOwner> owner_;
  const uint32_t id_;
  const bool local_;
  const HeaderBlock headers_;
  const size_t buffer_limit_;
  const size_t max_write_frame_;

  mutable std::mutex mu_;
  std::condition_variable readable_;  // data, FIN, reply, reset, end
  std::condition_variable writable_;  // room in the buffer (the read loop waits)
  std::deque<std::string> chunks_;    // guarded by mu_
  size_t front_offset_ = 0;           // bytes of chunks_.front() already read; mu_
  size_t buffered_ = 0;               // mu_
  uint32_t unacked_ = 0;              // read since the last WINDOW_UPDATE; mu_
  bool replied_ = false;              // mu_
  HeaderBlock reply_headers_;         // mu_
  bool remote_fin_ = false;           // mu_
  bool local_fin_ = false;            // mu_
  bool reset_ = false;                // mu_
  Status reset_status_;               // why reset_ is set; mu_
  bool read_cancelled_ = false;       // mu_
  Status ended_;                      // non-OK once the session ended; mu_
  bool closed_taken_ = false;         // mu_
};

}  // namespace berth::streaming::spdy
