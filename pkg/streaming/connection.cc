#include "pkg/streaming/connection.h"

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <cstring>
#include <future>

namespace berth::streaming {

namespace asio = boost::asio;
using boost::system::error_code;

Connection::Connection(asio::io_context& io, TcpStream socket, asio::ssl::context* tls)
    : strand_(asio::make_strand(io)), socket_(std::move(socket)) {
  if (tls != nullptr) tls_ = std::make_unique<TlsStream>(socket_, *tls);
  error_code ec;
  auto ep = socket_.remote_endpoint(ec);
  peer_ = ec ? "unknown" : ep.address().to_string() + ":" + std::to_string(ep.port());
  Touch();
}

void Connection::Touch() { last_activity_ = Clock::now().time_since_epoch().count(); }

void Connection::SetIdleTimeout(std::chrono::milliseconds idle) {
  idle_ = std::chrono::duration_cast<Clock::duration>(idle).count();
  deadline_ = Clock::time_point::max().time_since_epoch().count();
  Touch();
}

bool Connection::Expired(Clock::time_point now) const {
  Clock::rep t = now.time_since_epoch().count();
  if (t >= deadline_.load()) return true;
  Clock::rep idle = idle_.load();
  return idle > 0 && t - last_activity_.load() >= idle;
}

Status Connection::Handshake() {
  if (!tls_) return OkStatus();
  std::promise<error_code> done;
  // Every completion handler is bound to strand_: an SSL stream runs the
  // steps inside an operation on its handler's executor, by default the
  // socket's own (another strand), where they would race the SSL state
  // with operations started here.
  asio::post(strand_, [&] {
    tls_->async_handshake(
        asio::ssl::stream_base::server,
        asio::bind_executor(strand_, [&](const error_code& ec) { done.set_value(ec); }));
  });
  error_code ec = done.get_future().get();
  if (ec) return Unavailable("TLS handshake with " + peer_ + ": " + ec.message());
  return OkStatus();
}

void Connection::Unread(std::string bytes) {
  std::lock_guard lock(unread_mu_);
  unread_.insert(0, bytes);
}

Result<size_t> Connection::ReadSome(void* buf, size_t len) {
  {
    std::lock_guard lock(unread_mu_);
    if (!unread_.empty()) {
      size_t n = std::min(len, unread_.size());
      memcpy(buf, unread_.data(), n);
      unread_.erase(0, n);
      return n;
    }
  }
  if (closed_) return Cancelled("connection closed");
  std::promise<std::pair<error_code, size_t>> done;
  auto self = shared_from_this();
  asio::post(strand_, [&, self] {
    auto on_read = asio::bind_executor(strand_, [&](const error_code& ec, size_t n) {
      done.set_value({ec, n});
    });
    if (tls_) {
      tls_->async_read_some(asio::buffer(buf, len), on_read);
    } else {
      socket_.async_read_some(asio::buffer(buf, len), on_read);
    }
  });
  auto [ec, n] = done.get_future().get();
  if (n > 0) Touch();
  if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated) return size_t{0};
  if (ec) return Unavailable("read from " + peer_ + ": " + ec.message());
  return n;
}

Status Connection::WriteAll(const void* data, size_t len) {
  if (closed_) return Cancelled("connection closed");
  std::promise<error_code> done;
  auto self = shared_from_this();
  asio::post(strand_, [&, self] {
    auto on_write =
        asio::bind_executor(strand_, [&](const error_code& ec, size_t) { done.set_value(ec); });
    if (tls_) {
      asio::async_write(*tls_, asio::buffer(data, len), on_write);
    } else {
      asio::async_write(socket_, asio::buffer(data, len), on_write);
    }
  });
  error_code ec = done.get_future().get();
  if (ec) return Unavailable("write to " + peer_ + ": " + ec.message());
  Touch();
  return OkStatus();
}

void Connection::Close() {
  if (closed_.exchange(true)) return;
  auto self = shared_from_this();
  // On the strand, so it never races an operation in progress; pending
  // operations complete with operation_aborted and wake their callers.
  asio::post(strand_, [self] {
    error_code ignored;
    self->socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    self->socket_.close(ignored);
  });
}

}  // namespace berth::streaming
