// What an Exec, Attach or PortForward call asked for, kept under its token
// until the client comes back on the streaming server.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace berth::streaming {

enum class StreamKind { kExec, kAttach, kPortForward };

// "exec", "attach", "portforward": the URL path segment of each kind.
const char* KindPath(StreamKind kind);

struct StreamRequest {
  StreamKind kind = StreamKind::kExec;
  std::string container_id;      // exec, attach
  std::string sandbox_id;        // port-forward
  std::vector<std::string> cmd;  // exec
  bool tty = false;
  bool stdin = false;
  bool stdout = false;
  bool stderr = false;
  // Port-forward: the ports the CRI call named (the client names its ports
  // again per stream; these are informational).
  std::vector<int32_t> ports;
};

}  // namespace berth::streaming
