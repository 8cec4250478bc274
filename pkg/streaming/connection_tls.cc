// Connection over TLS (Asio's OpenSSL stream): every operation runs on the
// strand (connection.h says why).
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/post.hpp>
#include <future>

#include "pkg/streaming/connection.h"
#include "pkg/streaming/strand_io.h"

namespace berth::streaming {

namespace asio = boost::asio;
using boost::system::error_code;

void Connection::StartTls(TlsContext& tls) {
  tls_ = std::make_shared<TlsStream>(socket_, tls);
}

Status Connection::HandshakeTls() {
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

Result<size_t> Connection::ReadSomeTls(void* buf, size_t len) {
  auto [ec, n] = strand_io::ReadSome(strand_, *tls_, buf, len, shared_from_this());
  if (n > 0) Touch();
  if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated) return size_t{0};
  if (ec) return Unavailable("read from " + peer_ + ": " + ec.message());
  return n;
}

Status Connection::WriteTls(std::span<const std::string_view> parts) {
  error_code ec = strand_io::Write(strand_, *tls_, parts, shared_from_this());
  if (ec) return Unavailable("write to " + peer_ + ": " + ec.message());
  Touch();
  return OkStatus();
}

}  // namespace berth::streaming
