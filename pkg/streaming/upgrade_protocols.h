// The protocol layers the server hands an upgraded connection to. Each runs
// on the connection's thread and returns when the session is over.
#pragma once

#include <memory>

#include "pkg/streaming/channels.h"

namespace berth::streaming {

class Connection;

// Exec/attach over SPDY/3.1 with remote-command protocol `version` (1–5).
void ServeSpdyRemoteCommand(std::shared_ptr<Connection> conn, const StreamRequest& request,
                            int version, const Handlers& handlers);
// Port-forward over SPDY/3.1.
void ServeSpdyPortForward(std::shared_ptr<Connection> conn, const StreamRequest& request,
                          const Handlers& handlers);

}  // namespace berth::streaming
