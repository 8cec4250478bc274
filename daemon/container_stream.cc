// Exec, Attach and PortForward: each validates the request and answers a
// single-use URL on the streaming server, which the client upgrades.
#include "daemon/server.h"

namespace berth::daemon {

namespace rt = runtime::v1;

Status Server::Exec(const rt::ExecRequest&, rt::ExecResponse*) {
  return Unimplemented("Exec is not built yet");
}

Status Server::Attach(const rt::AttachRequest&, rt::AttachResponse*) {
  return Unimplemented("Attach is not built yet");
}

Status Server::PortForward(const rt::PortForwardRequest&, rt::PortForwardResponse*) {
  return Unimplemented("PortForward is not built yet");
}

}  // namespace berth::daemon
