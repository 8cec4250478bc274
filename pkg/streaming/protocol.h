// Sub-protocol negotiation for the streaming endpoints, and what each
// remote-command (exec/attach) protocol version means.
//
// The client lists the versions it speaks (SPDY: X-Stream-Protocol-Version,
// repeatable and comma-separated; WebSocket: Sec-WebSocket-Protocol); the
// server takes the first one it also speaks, so the client's order wins, as
// Kubernetes' own servers do.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth::streaming {

// Exec and attach over SPDY, newest first.
const std::vector<std::string>& SpdyRemoteCommandProtocols();
// Port-forward over SPDY.
const std::vector<std::string>& SpdyPortForwardProtocols();
// Exec and attach over WebSocket.
const std::vector<std::string>& WebSocketRemoteCommandProtocols();
// Port-forward over WebSocket.
const std::vector<std::string>& WebSocketPortForwardProtocols();

// Splits header values on commas and trims blanks: ["a, b", "c"] → [a, b, c].
std::vector<std::string> SplitProtocolList(const std::vector<std::string_view>& header_values);

// The first of `offered` that `supported` contains.
std::optional<std::string> Negotiate(const std::vector<std::string>& offered,
                                     const std::vector<std::string>& supported);

// "v4.channel.k8s.io" → 4; "channel.k8s.io" and "base64.channel.k8s.io" → 1.
int RemoteCommandVersion(std::string_view protocol);

}  // namespace berth::streaming
