// The WebSocket layer over the connection's TLS stream.
#include <boost/beast/websocket/ssl.hpp>

#include "pkg/streaming/websocket_channels.h"

namespace berth::streaming {

Result<std::unique_ptr<WsLink>> NewTlsWsLink(std::shared_ptr<Connection> conn, bool base64,
                                             size_t max_message) {
  Connection::TlsStream& tls = *conn->tls();
  return std::unique_ptr<WsLink>(std::make_unique<WsChannels<Connection::TlsStream>>(
      std::move(conn), tls, base64, max_message));
}

}  // namespace berth::streaming
