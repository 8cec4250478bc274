// Connection: one accepted client connection of the streaming server, plain
// TCP or TLS, with blocking reads and writes that any thread may call.
//
// Why the bridge: after the upgrade, one thread reads (the SPDY or WebSocket
// frame loop) while handler threads write. A TLS stream must never see two
// operations at once from different threads, so with TLS every operation
// runs as an Asio async operation on the connection's strand (Asio allows
// one read and one write outstanding there), and the caller blocks until it
// completes. Plain TCP needs no such care on Linux: ReadSome and WriteAll
// are then recv and sendmsg on the calling thread (connection_plain.cc); on
// Windows they run on the strand as TLS's do
// (windows/connection_plain_windows.cc).
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <chrono>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>

#include "pkg/base/status.h"
#include "pkg/streaming/tls.h"

namespace berth::streaming {

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  using Strand = boost::asio::strand<boost::asio::io_context::executor_type>;
  using TcpStream = boost::asio::ip::tcp::socket;
  using TlsStream = streaming::TlsStream;
  using Clock = std::chrono::steady_clock;

  // `tls` null: plain TCP.
  Connection(boost::asio::io_context& io, TcpStream socket, TlsContext* tls);

  // TLS handshake (no-op without TLS). Blocking.
  Status Handshake();
  // Blocking; 0 at end of stream. Bytes put back with Unread come first.
  Result<size_t> ReadSome(void* buf, size_t len);
  Status WriteAll(const void* data, size_t len);
  // Writes the parts one after another as one write (a frame header and its
  // payload without copying them together); at most kMaxParts.
  static constexpr size_t kMaxParts = 8;
  Status WriteParts(std::span<const std::string_view> parts);
  // Returns bytes read past the end of the HTTP request to the input.
  void Unread(std::string bytes);
  // Ends the connection: pending and later operations fail. Idempotent;
  // callable from any thread.
  void Close();
  bool closed() const { return closed_.load(); }

  // The janitor closes a connection that passes its deadline: a fixed one
  // during the handshake, then last activity + idle timeout.
  void SetDeadline(Clock::time_point deadline) { deadline_ = deadline.time_since_epoch().count(); }
  void SetIdleTimeout(std::chrono::milliseconds idle);  // 0 = none
  bool Expired(Clock::time_point now) const;

  std::string peer() const { return peer_; }
  Strand& strand() { return strand_; }
  // For protocol code that drives the stream with Asio (WebSocket).
  TcpStream& tcp() { return socket_; }
  TlsStream* tls() { return tls_.get(); }

 private:
  void Touch();
  // Plain TCP (connection_plain.cc, windows/connection_plain_windows.cc).
  Result<size_t> ReadSomePlain(void* buf, size_t len);
  Status WritePlain(std::span<const std::string_view> parts);
  void ClosePlain();
  // Shuts the socket down and closes it on the strand: for streams whose
  // every operation runs there.
  void CloseOnStrand();
  // TLS (connection_tls.cc; Linux-only, windows/connection_tls_windows.cc).
  void StartTls(TlsContext& tls);
  Status HandshakeTls();
  Result<size_t> ReadSomeTls(void* buf, size_t len);
  Status WriteTls(std::span<const std::string_view> parts);

  Strand strand_;
  TcpStream socket_;
  // Shared, not unique, only because the Windows build declares TlsStream
  // without defining it, and unique_ptr's destructor needs the whole type.
  std::shared_ptr<TlsStream> tls_;
  std::string peer_;
  std::mutex unread_mu_;
  std::string unread_;  // guarded by unread_mu_
  std::atomic<bool> closed_{false};
  std::atomic<Clock::rep> deadline_{Clock::time_point::max().time_since_epoch().count()};
  std::atomic<Clock::rep> idle_{0};
  std::atomic<Clock::rep> last_activity_{0};
};

}  // namespace berth::streaming
