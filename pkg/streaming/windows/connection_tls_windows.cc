// Connection's TLS in the Windows build, which has none (pkg/streaming/tls.h):
// LoadTlsContext refuses there, so no connection is ever given a context.
#include <spdlog/spdlog.h>

#include <cstdlib>

#include "pkg/streaming/connection.h"

namespace berth::streaming {

namespace {
Status NoTls(const std::string& peer) {
  return Unimplemented("TLS on the streaming connection from " + peer +
                       " is Linux-only (OpenSSL); on Windows Schannel would do it");
}
}  // namespace

void Connection::StartTls(TlsContext&) {
  // Impossible: no TlsContext can exist in this build.
  spdlog::critical("streaming: a TLS context reached a connection in the Windows build");
  std::abort();
}

Status Connection::HandshakeTls() {
  return NoTls(peer_);
}

Result<size_t> Connection::ReadSomeTls(void*, size_t) {
  return NoTls(peer_);
}

Status Connection::WriteTls(std::span<const std::string_view>) {
  return NoTls(peer_);
}

}  // namespace berth::streaming
