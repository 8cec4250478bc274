// Test rigs for SPDY sessions: a connected client/server pair over a socket
// pair (socket_pair.h: unix on Linux, loopback TCP on Windows; each Run on
// its own thread), and a raw peer that speaks frames
// by hand for the cases a well-behaved session never produces.
#pragma once

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#ifdef _WIN32
#include <boost/asio/ip/tcp.hpp>
#else
#include <boost/asio/local/stream_protocol.hpp>
#endif
#include <condition_variable>
#include <deque>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "pkg/streaming/spdy_asio_transport.h"
#include "pkg/streaming/spdy_session.h"
#include "test/unit/streaming/socket_pair.h"
#include "test/unit/streaming/spdy_bytes.h"

namespace berth::streaming::spdy::testing {

#ifdef _WIN32
// Boost 1.74's Asio has no AF_UNIX sockets on Windows.
using LocalSocket = boost::asio::ip::tcp::socket;
inline const boost::asio::ip::tcp kPairProtocol = boost::asio::ip::tcp::v4();
#else
using LocalSocket = boost::asio::local::stream_protocol::socket;
inline const boost::asio::local::stream_protocol kPairProtocol;
#endif
using LocalTransport = AsioTransport<LocalSocket>;

struct ConnectedSockets {
  boost::asio::io_context io;
  std::unique_ptr<LocalSocket> a = std::make_unique<LocalSocket>(io);
  std::unique_ptr<LocalSocket> b = std::make_unique<LocalSocket>(io);
  ConnectedSockets() {
    OwnedSocket x, y;
    EXPECT_TRUE(streaming::testing::MakeSocketPair(x, y).ok());
    a->assign(kPairProtocol, x.release());
    b->assign(kPairProtocol, y.release());
  }
};

// Streams the server accepted, in order; Next blocks for the next one.
class StreamQueue {
 public:
  void Push(std::shared_ptr<Stream> s) {
    std::lock_guard l(mu_);
    q_.push_back(std::move(s));
    cv_.notify_all();
  }
  std::shared_ptr<Stream> Next() {
    std::unique_lock l(mu_);
    cv_.wait(l, [&] { return !q_.empty(); });
    auto s = std::move(q_.front());
    q_.pop_front();
    return s;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<Stream>> q_;
};

// A session on one end of a socketpair, its Run on a thread of its own;
// the streams its peer opens queue up for NextAccepted.
class RunningSession {
 public:
  RunningSession(std::unique_ptr<LocalSocket> socket, Role role, SessionOptions options)
      : session_(std::make_unique<LocalTransport>(std::move(*socket)), role, options),
        thread_(
            [this] { result_ = session_.Run([this](auto s) { accepted_.Push(std::move(s)); }); }) {}
  ~RunningSession() {
    session_.Close();
    Join();
  }

  Session& session() { return session_; }
  std::shared_ptr<Stream> NextAccepted() { return accepted_.Next(); }
  // Waits for Run to return; result() is its status then.
  void Join() {
    if (thread_.joinable()) thread_.join();
  }
  const Status& result() const { return result_; }

 private:
  Session session_;
  StreamQueue accepted_;
  Status result_;
  std::thread thread_;  // last: it starts using the members above at once
};

// A client and a server session on the two ends of a socketpair.
class SessionPair {
 public:
  explicit SessionPair(SessionOptions server_options = {}, SessionOptions client_options = {})
      : server_(std::move(sockets_.a), Role::kServer, server_options),
        client_(std::move(sockets_.b), Role::kClient, client_options) {}

  Session& server() { return server_.session(); }
  Session& client() { return client_.session(); }
  std::shared_ptr<Stream> NextAccepted() { return server_.NextAccepted(); }
  // Waits for both Run calls to return.
  void Join() {
    server_.Join();
    client_.Join();
  }
  const Status& server_result() const { return server_.result(); }
  const Status& client_result() const { return client_.result(); }

 private:
  ConnectedSockets sockets_;
  RunningSession server_;
  RunningSession client_;
};

// Reads a stream to its FIN (or first error).
inline Result<std::string> ReadAll(Stream& s) {
  std::string out;
  char buf[8192];
  for (;;) {
    Result<size_t> n = s.Read(buf, sizeof buf);
    if (!n.ok()) return n.status();
    if (*n == 0) return out;
    out.append(buf, *n);
  }
}

// The far end of a server session, driven frame by frame from the test.
class RawPeer {
 public:
  explicit RawPeer(std::unique_ptr<LocalSocket> socket) : transport_(std::move(*socket)) {}

  void SendBytes(const std::string& bytes) {
    ASSERT_TRUE(transport_.WriteAll(bytes.data(), bytes.size()).ok());
  }
  void Send(const Frame& frame) {
    std::string out;
    ASSERT_TRUE(AppendFrame(frame, &out).ok());
    SendBytes(out);
  }
  // A SYN_STREAM whose header block goes through this peer's compressor.
  void Open(uint32_t id, const HeaderBlock& headers, uint8_t flags = 0) {
    Result<std::string> block = compressor_.Compress(headers);
    ASSERT_TRUE(block.ok());
    SynStreamFrame f;
    f.stream_id = id;
    f.flags = flags;
    f.header_block = *block;
    Send(f);
  }
  // The next frame from the session; nullopt at the end of the connection.
  std::optional<Frame> Next() {
    char buf[4096];
    for (;;) {
      Result<std::optional<Frame>> f = parser_.Next();
      EXPECT_TRUE(f.ok()) << f.status().ToString();
      if (!f.ok()) return std::nullopt;
      if (f->has_value()) return std::move(**f);
      // A frame the test waits for and the session never sends fails the
      // test after a while instead of hanging it.
      if (!streaming::testing::WaitReadable(transport_.stream().native_handle(),
                                            std::chrono::seconds(20))) {
        ADD_FAILURE() << "no frame from the session in 20 s";
        return std::nullopt;
      }
      Result<size_t> n = transport_.ReadSome(buf, sizeof buf);
      if (!n.ok() || *n == 0) return std::nullopt;
      parser_.Feed(buf, *n);
    }
  }
  // The next frame of type T, skipping others (WINDOW_UPDATEs, say).
  template <typename T>
  std::optional<T> NextOf() {
    while (std::optional<Frame> f = Next()) {
      if (auto* t = std::get_if<T>(&*f)) return *t;
    }
    return std::nullopt;
  }
  HeaderDecompressor& decompressor() { return decompressor_; }
  void Close() { transport_.Close(); }

 private:
  LocalTransport transport_;
  HeaderCompressor compressor_;
  HeaderDecompressor decompressor_;
  FrameParser parser_;
};

// A server session against a RawPeer.
class RawPeerRig {
 public:
  explicit RawPeerRig(SessionOptions options = {})
      : server_(std::move(sockets_.a), Role::kServer, options), peer_(std::move(sockets_.b)) {}

  Session& server() { return server_.session(); }
  RawPeer& peer() { return peer_; }
  std::shared_ptr<Stream> NextAccepted() { return server_.NextAccepted(); }
  void Join() { server_.Join(); }
  const Status& result() const { return server_.result(); }

 private:
  ConnectedSockets sockets_;
  RunningSession server_;
  RawPeer peer_;
};

}  // namespace berth::streaming::spdy::testing
