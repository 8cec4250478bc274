// Connection over plain TCP on Windows: every operation runs on the strand,
// as TLS's do. Linux reads the descriptor from the calling thread and wakes
// it with shutdown(2); a Winsock socket that Asio has bound to its I/O
// completion port offers no such wake-up that is certain to reach a thread
// blocked in recv(), while an Asio operation is cancelled by closing the
// socket on the strand.
#include <boost/asio/error.hpp>

#include "pkg/streaming/connection.h"
#include "pkg/streaming/strand_io.h"

namespace berth::streaming {

Result<size_t> Connection::ReadSomePlain(void* buf, size_t len) {
  auto [ec, n] = strand_io::ReadSome(strand_, socket_, buf, len, shared_from_this());
  if (n > 0) Touch();
  if (ec == boost::asio::error::eof) return size_t{0};
  if (ec) return Unavailable("read from " + peer_ + ": " + ec.message());
  return n;
}

Status Connection::WritePlain(std::span<const std::string_view> parts) {
  boost::system::error_code ec = strand_io::Write(strand_, socket_, parts, shared_from_this());
  if (ec) return Unavailable("write to " + peer_ + ": " + ec.message());
  Touch();
  return OkStatus();
}

void Connection::ClosePlain() {
  CloseOnStrand();
}

}  // namespace berth::streaming
