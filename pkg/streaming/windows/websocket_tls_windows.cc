// The WebSocket layer's TLS in the Windows build, which has none
// (pkg/streaming/tls.h).
#include "pkg/streaming/websocket_channels.h"

namespace berth::streaming {

Result<std::unique_ptr<WsLink>> NewTlsWsLink(std::shared_ptr<Connection> conn, bool, size_t) {
  return Unimplemented("WebSocket over TLS from " + conn->peer() +
                       " is Linux-only (OpenSSL); on Windows Schannel would do it");
}

}  // namespace berth::streaming
