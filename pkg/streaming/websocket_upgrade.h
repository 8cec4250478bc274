// The HTTP request that opened a streaming session, and the WebSocket layer
// the server hands it to (websocket_session.cc).
#pragma once

#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <memory>
#include <string>

#include "pkg/streaming/channels.h"
#include "pkg/streaming/connection.h"

namespace berth::streaming {

using UpgradeRequest = boost::beast::http::request<boost::beast::http::empty_body>;

// Completes the WebSocket handshake with sub-protocol `protocol` ("" when
// the client named none) and runs the session until it ends.
void ServeWebSocket(std::shared_ptr<Connection> conn, const UpgradeRequest& req,
                    const StreamRequest& request, const std::string& protocol,
                    const Handlers& handlers);

}  // namespace berth::streaming
