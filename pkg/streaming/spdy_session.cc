#include "pkg/streaming/spdy_session.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

namespace berth::streaming::spdy {
namespace internal {

// The session's state, shared with its streams (they hold it weakly), so a
// stream handle that outlives the Session fails cleanly instead of touching
// freed memory.
//
// Locks, always taken in this order and never the other way:
//   write_mu_  one frame on the wire at a time; header compression and local
//              stream ids follow wire order, so they live under it too
//   mu_        the stream table and session flags
//   Stream::mu_  one stream's buffer and state
class SessionCore final : public StreamOwner, public std::enable_shared_from_this<SessionCore> {
 public:
  SessionCore(std::unique_ptr<Transport> transport, Role role, const SessionOptions& options)
      : role_(role),
        options_(options),
        transport_(std::move(transport)),
        parser_(ParserLimits{options.max_control_frame, kMaxPayload,
                             static_cast<uint32_t>(std::min<size_t>(
                                 32 * 1024, std::max<size_t>(options.stream_buffer_bytes, 1)))}),
        decompressor_(options.max_header_block_bytes),
        next_local_id_(role == Role::kClient ? 1 : 2),
        next_ping_id_(role == Role::kClient ? 1 : 2) {}

  Status Run(const NewStreamCallback& on_stream);
  Result<std::shared_ptr<Stream>> OpenStream(const HeaderBlock& headers, bool fin);
  Status Ping(std::chrono::milliseconds timeout);
  Status GoAway(GoAwayStatus status);
  void Close(const Status& why);
  void WaitRunDone();
  size_t open_streams() const;
  bool goaway_received() const;

  // StreamOwner
  Status SendData(Stream& stream, std::string_view data, bool fin) override;
  Status SendReset(Stream& stream, RstStatus status) override;
  void Consumed(uint32_t stream_id, size_t n, uint32_t stream_delta) override;

 private:
  Status ReadLoop(const NewStreamCallback& on_stream);
  Status Dispatch(Frame& frame, const NewStreamCallback& on_stream);
  Status OnSynStream(SynStreamFrame& f, const NewStreamCallback& on_stream);
  Status OnSynReply(SynReplyFrame& f);
  Status OnHeaders(HeadersFrame& f);
  Status OnData(DataFrame& f);
  Status OnPing(const PingFrame& f);
  void OnGoAway(const GoAwayFrame& f);
  Status EndWithProtocolError(Status why);

  Status WriteFrame(const Frame& frame);
  Status WriteFrameLocked(const Frame& frame);  // requires write_mu_
  // Writes out_, then `payload` (a DATA frame's, not copied into out_).
  Status FlushLocked(std::string_view payload = {});  // requires write_mu_
  std::shared_ptr<Stream> NewStream(uint32_t id, bool local, HeaderBlock headers);
  std::shared_ptr<Stream> Find(uint32_t id) const;
  bool IsPeerId(uint32_t id) const { return (id % 2 == 1) == (role_ == Role::kServer); }
  bool SeenId(uint32_t id) const;
  void ForgetIfClosed(Stream& stream);
  void FinishIfGoneAway();

  const Role role_;
  const SessionOptions options_;
  // ReadSome on the Run thread, WriteAll under write_mu_, Close anywhere.
  const std::unique_ptr<Transport> transport_;
  std::atomic<bool> closed_{false};

  // Used by the Run thread only.
  FrameParser parser_;
  HeaderDecompressor decompressor_;

  std::timed_mutex write_mu_;
  HeaderCompressor compressor_;  // guarded by write_mu_
  std::string out_;              // guarded by write_mu_

  mutable std::mutex mu_;
  std::condition_variable cv_;  // a PING answered, Run finished, session closed
  std::unordered_map<uint32_t, std::shared_ptr<Stream>> streams_;  // guarded by mu_
  uint32_t next_local_id_;        // guarded by mu_ (taken under write_mu_ too)
  uint32_t last_peer_id_ = 0;     // highest stream id the peer opened; mu_
  uint32_t next_ping_id_;         // guarded by mu_
  std::set<uint32_t> pings_;      // sent and not yet answered; mu_
  uint64_t session_unacked_ = 0;  // bytes read since the last session WINDOW_UPDATE; mu_
  bool goaway_sent_ = false;      // guarded by mu_
  bool goaway_received_ = false;  // guarded by mu_
  bool run_started_ = false;      // guarded by mu_
  bool running_ = false;          // guarded by mu_
};

Status SessionCore::Run(const NewStreamCallback& on_stream) {
  {
    std::lock_guard l(mu_);
    if (run_started_) return FailedPrecondition("spdy session: Run called twice");
    run_started_ = running_ = true;
  }
  Status result = ReadLoop(on_stream);
  Close(Unavailable(result.ok() ? std::string("spdy session ended")
                                : "spdy session ended: " + result.message()));
  std::lock_guard l(mu_);
  running_ = false;
  cv_.notify_all();
  return result;
}

Status SessionCore::ReadLoop(const NewStreamCallback& on_stream) {
  // Room for a couple of whole DATA frames per read: a bulk transfer then
  // costs few reads.
  constexpr size_t kReadSize = 64 * 1024;
  auto buf = std::make_unique<char[]>(kReadSize);
  while (!closed_) {
    Result<size_t> n = transport_->ReadSome(buf.get(), kReadSize);
    if (!n.ok()) return closed_ ? OkStatus() : n.status();  // after Close, errors are ours
    if (*n == 0) {
      if (closed_ || parser_.idle()) return OkStatus();
      return Unavailable("spdy: peer closed the connection inside a frame");
    }
    parser_.Feed(buf.get(), *n);
    for (;;) {
      Result<std::optional<Frame>> next = parser_.Next();
      if (!next.ok()) return EndWithProtocolError(next.status());
      if (!next->has_value()) break;
      Status st = Dispatch(**next, on_stream);
      if (st.code() == Code::kInvalidArgument) return EndWithProtocolError(st);
      if (!st.ok() || closed_) return closed_ ? OkStatus() : st;
    }
  }
  return OkStatus();
}

// InvalidArgument from a handler means the peer broke the protocol; any other
// error is the transport failing.
Status SessionCore::Dispatch(Frame& frame, const NewStreamCallback& on_stream) {
  if (auto* f = std::get_if<DataFrame>(&frame)) return OnData(*f);
  if (auto* f = std::get_if<SynStreamFrame>(&frame)) return OnSynStream(*f, on_stream);
  if (auto* f = std::get_if<SynReplyFrame>(&frame)) return OnSynReply(*f);
  if (auto* f = std::get_if<HeadersFrame>(&frame)) return OnHeaders(*f);
  if (auto* f = std::get_if<PingFrame>(&frame)) return OnPing(*f);
  if (auto* f = std::get_if<RstStreamFrame>(&frame)) {
    if (std::shared_ptr<Stream> s = Find(f->stream_id)) {
      s->OnRemoteReset(f->status);
      ForgetIfClosed(*s);
    }
    return OkStatus();
  }
  if (auto* f = std::get_if<GoAwayFrame>(&frame)) {
    OnGoAway(*f);
    return OkStatus();
  }
  // SETTINGS and WINDOW_UPDATE: accepted and ignored (see spdy_session.h).
  return OkStatus();
}

Status SessionCore::OnSynStream(SynStreamFrame& f, const NewStreamCallback& on_stream) {
  // Every header block goes through the decompressor, even of a stream that
  // is then refused: the zlib stream spans all of them.
  BERTH_ASSIGN_OR_RETURN(HeaderBlock headers, decompressor_.Decompress(f.header_block));
  const uint32_t id = f.stream_id;
  if (!IsPeerId(id)) {
    return InvalidArgument("spdy: peer opened stream " + std::to_string(id) +
                           ", which is this side's to number");
  }
  std::shared_ptr<Stream> stream;
  {
    std::lock_guard l(mu_);
    if (id <= last_peer_id_) {
      return InvalidArgument("spdy: peer opened stream " + std::to_string(id) + " after stream " +
                             std::to_string(last_peer_id_));
    }
    last_peer_id_ = id;
    if (closed_) return OkStatus();
    const bool refuse = goaway_sent_ || goaway_received_ || !on_stream ||
                        streams_.size() >= options_.max_concurrent_streams;
    if (!refuse) {
      stream = NewStream(id, false, std::move(headers));
      streams_[id] = stream;
    }
  }
  if (!stream) return WriteFrame(RstStreamFrame{id, RstStatus::kRefusedStream});
  const bool unidirectional = (f.flags & kFlagUnidirectional) != 0;
  stream->SetHalfClosed((f.flags & kFlagFin) != 0, unidirectional);
  if (!unidirectional) {  // a unidirectional stream gets no reply
    std::lock_guard w(write_mu_);
    Result<std::string> block = compressor_.Compress(HeaderBlock{});
    if (!block.ok()) return block.status();
    BERTH_RETURN_IF_ERROR(WriteFrameLocked(SynReplyFrame{id, 0, std::move(block).value()}));
  }
  on_stream(stream);
  ForgetIfClosed(*stream);
  return OkStatus();
}

Status SessionCore::OnSynReply(SynReplyFrame& f) {
  BERTH_ASSIGN_OR_RETURN(HeaderBlock headers, decompressor_.Decompress(f.header_block));
  std::shared_ptr<Stream> s = Find(f.stream_id);
  if (!s) return OkStatus();  // reset meanwhile
  if (!s->locally_opened()) return SendReset(*s, RstStatus::kProtocolError);
  if (!s->OnReply(std::move(headers), (f.flags & kFlagFin) != 0)) {
    return SendReset(*s, RstStatus::kStreamInUse);  // a second reply
  }
  ForgetIfClosed(*s);
  return OkStatus();
}

Status SessionCore::OnHeaders(HeadersFrame& f) {
  // Extra headers carry nothing the streaming protocols use; only their FIN
  // matters. The block is still decompressed to keep the zlib stream in step.
  BERTH_RETURN_IF_ERROR(decompressor_.Decompress(f.header_block).status());
  std::shared_ptr<Stream> s = Find(f.stream_id);
  if (s && (f.flags & kFlagFin) != 0) {
    s->Deliver({}, true);
    ForgetIfClosed(*s);
  }
  return OkStatus();
}

Status SessionCore::OnData(DataFrame& f) {
  std::shared_ptr<Stream> s = Find(f.stream_id);
  if (!s) {
    // Data for a stream that is gone (reset, refused) is dropped; for one
    // that never existed the peer is told.
    if (SeenId(f.stream_id)) return OkStatus();
    return WriteFrame(RstStreamFrame{f.stream_id, RstStatus::kInvalidStream});
  }
  if (s->remote_closed()) return SendReset(*s, RstStatus::kStreamAlreadyClosed);
  s->Deliver(std::move(f.data), f.fin);  // waits while the stream's buffer is full
  if (f.fin) ForgetIfClosed(*s);
  return OkStatus();
}

Status SessionCore::OnPing(const PingFrame& f) {
  const bool ours = (f.id % 2 == 1) == (role_ == Role::kClient);
  if (!ours) return WriteFrame(PingFrame{f.id});  // the peer's: echo it
  std::lock_guard l(mu_);
  if (pings_.erase(f.id) > 0) cv_.notify_all();
  return OkStatus();
}

void SessionCore::OnGoAway(const GoAwayFrame& f) {
  // Streams this side opened past the peer's last good id were never seen
  // by it: they fail now rather than hang.
  std::vector<std::shared_ptr<Stream>> dropped;
  {
    std::lock_guard l(mu_);
    goaway_received_ = true;
    for (auto it = streams_.begin(); it != streams_.end();) {
      if (it->second->locally_opened() && it->first > f.last_good_stream_id) {
        dropped.push_back(std::move(it->second));
        it = streams_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& s : dropped) {
    s->OnSessionEnd(
        Unavailable("spdy stream " + std::to_string(s->id()) + " refused: the peer sent GOAWAY"));
  }
  FinishIfGoneAway();
}

Status SessionCore::EndWithProtocolError(Status why) {
  uint32_t last;
  {
    std::lock_guard l(mu_);
    goaway_sent_ = true;
    last = last_peer_id_;
  }
  // Bounded wait for the write lock: a writer stuck on a full socket must not
  // keep a broken connection open; the GOAWAY is a courtesy. (A system_clock
  // deadline: libstdc++ then uses pthread_mutex_timedlock, which TSan knows.)
  std::unique_lock w(write_mu_, std::chrono::system_clock::now() + std::chrono::seconds(1));
  if (w.owns_lock()) (void)WriteFrameLocked(GoAwayFrame{last, GoAwayStatus::kProtocolError});
  return why;
}

Result<std::shared_ptr<Stream>> SessionCore::OpenStream(const HeaderBlock& headers, bool fin) {
  // Under the write lock so stream ids reach the wire in increasing order.
  std::lock_guard w(write_mu_);
  std::shared_ptr<Stream> stream;
  {
    std::lock_guard l(mu_);
    if (closed_) return Unavailable("spdy session closed");
    if (goaway_sent_ || goaway_received_) {
      return FailedPrecondition("spdy session is going away (GOAWAY)");
    }
    if (next_local_id_ > kMaxStreamId) return ResourceExhausted("spdy: stream ids exhausted");
    stream = NewStream(next_local_id_, true, headers);
    streams_[next_local_id_] = stream;
    next_local_id_ += 2;
  }
  stream->SetHalfClosed(false, fin);
  Result<std::string> block = compressor_.Compress(headers);
  if (!block.ok()) {
    // A bad header (caught before zlib saw it) leaves the session usable;
    // a zlib failure does not.
    if (block.status().code() != Code::kInvalidArgument) Close(block.status());
    std::lock_guard l(mu_);
    streams_.erase(stream->id());
    return block.status();
  }
  SynStreamFrame frame;
  frame.stream_id = stream->id();
  frame.flags = fin ? kFlagFin : 0;
  frame.header_block = std::move(block).value();
  BERTH_RETURN_IF_ERROR(WriteFrameLocked(frame));
  return stream;
}

Status SessionCore::Ping(std::chrono::milliseconds timeout) {
  uint32_t id;
  {
    std::lock_guard l(mu_);
    if (closed_) return Unavailable("spdy session closed");
    id = next_ping_id_;
    next_ping_id_ = (next_ping_id_ + 2) & kMaxStreamId;
    if (next_ping_id_ == 0) next_ping_id_ = 2;  // spdystream rejects PING 0 as a connection error
    pings_.insert(id);
  }
  Status sent = WriteFrame(PingFrame{id});
  std::unique_lock l(mu_);
  if (sent.ok()) cv_.wait_for(l, timeout, [&] { return pings_.count(id) == 0 || closed_; });
  if (pings_.erase(id) == 0) return OkStatus();  // answered
  if (!sent.ok()) return sent;
  if (closed_) return Unavailable("spdy session closed before the PING was answered");
  return DeadlineExceeded("spdy: PING " + std::to_string(id) + " not answered in " +
                          std::to_string(timeout.count()) + " ms");
}

Status SessionCore::GoAway(GoAwayStatus status) {
  Status sent;
  {
    std::lock_guard w(write_mu_);
    uint32_t last;
    {
      std::lock_guard l(mu_);
      if (goaway_sent_) return OkStatus();
      goaway_sent_ = true;
      last = last_peer_id_;
    }
    sent = WriteFrameLocked(GoAwayFrame{last, status});
  }
  FinishIfGoneAway();
  return sent;
}

void SessionCore::Close(const Status& why) {
  if (!closed_.exchange(true)) transport_->Close();
  std::unordered_map<uint32_t, std::shared_ptr<Stream>> streams;
  {
    std::lock_guard l(mu_);
    streams.swap(streams_);
    cv_.notify_all();  // pending PINGs
  }
  for (auto& [id, s] : streams) s->OnSessionEnd(why);
}

void SessionCore::WaitRunDone() {
  std::unique_lock l(mu_);
  cv_.wait(l, [&] { return !running_; });
}

size_t SessionCore::open_streams() const {
  std::lock_guard l(mu_);
  return streams_.size();
}

bool SessionCore::goaway_received() const {
  std::lock_guard l(mu_);
  return goaway_received_;
}

Status SessionCore::SendData(Stream& stream, std::string_view data, bool fin) {
  {
    std::lock_guard w(write_mu_);
    // Checked under the write lock so no DATA can follow this stream's FIN
    // or RST on the wire.
    BERTH_RETURN_IF_ERROR(stream.BeginSend(fin));
    out_.clear();
    BERTH_RETURN_IF_ERROR(AppendDataFrameHeader(stream.id(), fin, data.size(), &out_));
    BERTH_RETURN_IF_ERROR(FlushLocked(data));
  }
  if (fin) ForgetIfClosed(stream);
  return OkStatus();
}

Status SessionCore::SendReset(Stream& stream, RstStatus status) {
  // Local state first: readers wake and the read loop stops waiting on this
  // stream's buffer even if the write lock is busy for a while.
  const bool send = stream.MarkLocalReset(status);
  Status sent = send ? WriteFrame(RstStreamFrame{stream.id(), status}) : OkStatus();
  ForgetIfClosed(stream);
  return sent;
}

void SessionCore::Consumed(uint32_t stream_id, size_t n, uint32_t stream_delta) {
  uint32_t session_delta = 0;
  {
    std::lock_guard l(mu_);
    session_unacked_ += n;
    if (session_unacked_ >= kWindowUpdateStep) {
      session_delta = static_cast<uint32_t>(std::min<uint64_t>(session_unacked_, 0x7fffffff));
      session_unacked_ -= session_delta;
    }
  }
  if (!options_.send_window_updates || (stream_delta == 0 && session_delta == 0)) return;
  // Best effort: a failed write has closed the session already.
  std::lock_guard w(write_mu_);
  if (stream_delta > 0) (void)WriteFrameLocked(WindowUpdateFrame{stream_id, stream_delta});
  if (session_delta > 0) (void)WriteFrameLocked(WindowUpdateFrame{0, session_delta});
}

Status SessionCore::WriteFrame(const Frame& frame) {
  std::lock_guard w(write_mu_);
  return WriteFrameLocked(frame);
}

Status SessionCore::WriteFrameLocked(const Frame& frame) {
  out_.clear();
  BERTH_RETURN_IF_ERROR(AppendFrame(frame, &out_));
  return FlushLocked();
}

Status SessionCore::FlushLocked(std::string_view payload) {
  if (closed_) return Unavailable("spdy session closed");
  const std::string_view parts[] = {out_, payload};
  Status st = payload.empty() ? transport_->WriteAll(out_.data(), out_.size())
                              : transport_->WriteParts(parts);
  // A frame may be half written: nothing sensible can follow it.
  if (!st.ok()) Close(Unavailable("spdy session ended: " + st.message()));
  return st;
}

std::shared_ptr<Stream> SessionCore::NewStream(uint32_t id, bool local, HeaderBlock headers) {
  // Stream's constructor is private to everyone but this class.
  return std::shared_ptr<Stream>(new Stream(weak_from_this(), id, local, std::move(headers),
                                            options_.stream_buffer_bytes,
                                            options_.max_write_frame));
}

std::shared_ptr<Stream> SessionCore::Find(uint32_t id) const {
  std::lock_guard l(mu_);
  auto it = streams_.find(id);
  return it == streams_.end() ? nullptr : it->second;
}

bool SessionCore::SeenId(uint32_t id) const {
  std::lock_guard l(mu_);
  return IsPeerId(id) ? id <= last_peer_id_ : id < next_local_id_;
}

void SessionCore::ForgetIfClosed(Stream& stream) {
  if (!stream.TakeClosed()) return;
  {
    std::lock_guard l(mu_);
    streams_.erase(stream.id());
  }
  FinishIfGoneAway();
}

void SessionCore::FinishIfGoneAway() {
  {
    std::lock_guard l(mu_);
    if (!(goaway_sent_ || goaway_received_) || !streams_.empty()) return;
  }
  Close(Unavailable("spdy session finished after GOAWAY"));
}

}  // namespace internal

Session::Session(std::unique_ptr<Transport> transport, Role role, SessionOptions options)
    : core_(std::make_shared<internal::SessionCore>(std::move(transport), role, options)) {}

Session::~Session() {
  core_->Close(Unavailable("spdy session destroyed"));
  core_->WaitRunDone();
}

Status Session::Run(NewStreamCallback on_stream) {
  return core_->Run(on_stream);
}

Result<std::shared_ptr<Stream>> Session::OpenStream(const HeaderBlock& headers, bool fin) {
  return core_->OpenStream(headers, fin);
}

Status Session::Ping(std::chrono::milliseconds timeout) {
  return core_->Ping(timeout);
}

Status Session::GoAway(GoAwayStatus status) {
  return core_->GoAway(status);
}

void Session::Close() {
  core_->Close(Unavailable("spdy session closed"));
}

size_t Session::open_streams() const {
  return core_->open_streams();
}

bool Session::goaway_received() const {
  return core_->goaway_received();
}

}  // namespace berth::streaming::spdy
