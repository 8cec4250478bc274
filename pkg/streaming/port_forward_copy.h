// Copying one forwarded connection both ways, between the pod's socket and
// the client's channels, whatever protocol carries them (SPDY or WebSocket).
//
// Each direction ends on its own and is passed on as a half-close: the
// client's end of stream shuts down the socket's write side; the pod's end
// of stream ends the client's channel (`end_to_client`). When the pod's side
// has ended, the client's side gets `linger` of quiet to end too; after
// that the connection is over. This is what lets client-go end a forwarded
// connection a pod has closed: it closes its local connection only once the
// runtime ends the pair, and its own local client may never send a FIN (a
// download that ends at end of stream). The client ending first starts no
// clock: it has sent its request and now reads the answer, however slow.
#pragma once

#include <chrono>
#include <functional>
#include <string_view>

#include "pkg/base/status.h"
#include "pkg/streaming/channels.h"
#include "pkg/streaming/socket.h"

namespace berth::streaming {

// containerd gives the other direction one second in the same situation.
inline constexpr std::chrono::milliseconds kPortForwardLinger{1000};

struct ForwardEnd {
  // The client's direction reached its end of stream (not an error, not
  // cut off after the linger).
  bool client_finished = false;
};

// Copies until both directions have ended, or the pod's has and the
// client's stayed quiet for `linger`. Shutting `fd` down from another thread
// (a session ending) ends the pod's direction at once; the caller's channels
// failing ends the client's. `from_client` is cancelled before returning
// unless it reached its end.
ForwardEnd ForwardConnection(NativeSocket fd, ByteReader& from_client,
                             const std::function<Status(std::string_view)>& to_client,
                             const std::function<void()>& end_to_client,
                             std::chrono::milliseconds linger = kPortForwardLinger);

}  // namespace berth::streaming
