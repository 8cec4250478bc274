#include "pkg/streaming/connection.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <cstring>
#include <future>
#include <vector>

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
  if (!tls_) return ReadSomePlain(buf, len);
  std::promise<std::pair<error_code, size_t>> done;
  auto self = shared_from_this();
  asio::post(strand_, [&, self] {
    auto on_read = asio::bind_executor(strand_, [&](const error_code& ec, size_t n) {
      done.set_value({ec, n});
    });
    tls_->async_read_some(asio::buffer(buf, len), on_read);
  });
  auto [ec, n] = done.get_future().get();
  if (n > 0) Touch();
  if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated) return size_t{0};
  if (ec) return Unavailable("read from " + peer_ + ": " + ec.message());
  return n;
}

// Plain TCP: straight on the descriptor from the calling thread. A hop to
// the strand and back costs two thread switches per call, which made them
// most of a bulk transfer's time. Whether Asio has the descriptor in
// non-blocking mode or not, a would-block result waits in poll; Close's
// shutdown wakes both.
Result<size_t> Connection::ReadSomePlain(void* buf, size_t len) {
  const int fd = socket_.native_handle();
  while (true) {
    ssize_t n = recv(fd, buf, len, 0);
    if (n > 0) {
      Touch();
      return static_cast<size_t>(n);
    }
    if (n == 0) return size_t{0};
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      return Unavailable("read from " + peer_ + ": " + std::strerror(errno));
    }
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, -1) < 0 && errno != EINTR) {
      return Unavailable("read from " + peer_ + ": poll: " + std::strerror(errno));
    }
  }
}

Status Connection::WritePlain(std::span<const std::string_view> parts) {
  const int fd = socket_.native_handle();
  iovec iov[kMaxParts];
  size_t count = 0;
  for (std::string_view p : parts) {
    if (!p.empty()) iov[count++] = {const_cast<char*>(p.data()), p.size()};
  }
  iovec* next = iov;
  while (count > 0) {
    if (closed_) return Cancelled("connection closed");
    msghdr m{};
    m.msg_iov = next;
    m.msg_iovlen = count;
    ssize_t n = sendmsg(fd, &m, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        return Unavailable("write to " + peer_ + ": " + std::strerror(errno));
      }
      pollfd p{fd, POLLOUT, 0};
      if (poll(&p, 1, -1) < 0 && errno != EINTR) {
        return Unavailable("write to " + peer_ + ": poll: " + std::strerror(errno));
      }
      continue;
    }
    // Skip what went out; a part may have gone partly.
    size_t done = static_cast<size_t>(n);
    while (count > 0 && done >= next->iov_len) {
      done -= next->iov_len;
      ++next;
      --count;
    }
    if (count > 0) {
      next->iov_base = static_cast<char*>(next->iov_base) + done;
      next->iov_len -= done;
    }
  }
  Touch();
  return OkStatus();
}

Status Connection::WriteAll(const void* data, size_t len) {
  const std::string_view part(static_cast<const char*>(data), len);
  return WriteParts({&part, 1});
}

Status Connection::WriteParts(std::span<const std::string_view> parts) {
  if (closed_) return Cancelled("connection closed");
  if (parts.size() > kMaxParts) return InvalidArgument("connection: too many parts in one write");
  if (!tls_) return WritePlain(parts);
  std::vector<asio::const_buffer> buffers;
  for (std::string_view p : parts) buffers.emplace_back(p.data(), p.size());
  std::promise<error_code> done;
  auto self = shared_from_this();
  asio::post(strand_, [&, self] {
    asio::async_write(
        *tls_, buffers,
        asio::bind_executor(strand_, [&](const error_code& ec, size_t) { done.set_value(ec); }));
  });
  error_code ec = done.get_future().get();
  if (ec) return Unavailable("write to " + peer_ + ": " + ec.message());
  Touch();
  return OkStatus();
}

void Connection::Close() {
  if (closed_.exchange(true)) return;
  auto self = shared_from_this();
  if (!tls_) {
    // Plain reads and writes run on the descriptor outside the strand, so it
    // stays open (the destructor closes it) and is only shut down here: that
    // wakes them, and pending Asio operations (WebSocket) complete with an
    // error. Closing it now could let a new connection reuse the number
    // under a thread about to read.
    ::shutdown(socket_.native_handle(), SHUT_RDWR);
    asio::post(strand_, [self] {
      error_code ignored;
      self->socket_.cancel(ignored);
    });
    return;
  }
  // On the strand, so it never races an operation in progress; pending
  // operations complete with operation_aborted and wake their callers.
  asio::post(strand_, [self] {
    error_code ignored;
    self->socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    self->socket_.close(ignored);
  });
}

}  // namespace berth::streaming
