#include "pkg/streaming/connection.h"

#include <boost/asio/post.hpp>
#include <cstring>

namespace berth::streaming {

namespace asio = boost::asio;
using boost::system::error_code;

Connection::Connection(asio::io_context& io, TcpStream socket, TlsContext* tls)
    : strand_(asio::make_strand(io)), socket_(std::move(socket)) {
  if (tls != nullptr) StartTls(*tls);
  error_code ec;
  auto ep = socket_.remote_endpoint(ec);
  peer_ = ec ? "unknown" : ep.address().to_string() + ":" + std::to_string(ep.port());
  Touch();
}

void Connection::Touch() {
  last_activity_ = Clock::now().time_since_epoch().count();
}

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
  return HandshakeTls();
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
  if (!tls_) return ReadSomePlain(buf, len);
  return ReadSomeTls(buf, len);
}

Status Connection::WriteAll(const void* data, size_t len) {
  const std::string_view part(static_cast<const char*>(data), len);
  return WriteParts({&part, 1});
}

Status Connection::WriteParts(std::span<const std::string_view> parts) {
  if (closed_) return Cancelled("connection closed");
  if (parts.size() > kMaxParts) return InvalidArgument("connection: too many parts in one write");
  if (!tls_) return WritePlain(parts);
  return WriteTls(parts);
}

void Connection::Close() {
  if (closed_.exchange(true)) return;
  if (!tls_) {
    ClosePlain();
    return;
  }
  CloseOnStrand();
}

void Connection::CloseOnStrand() {
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
