// The Server's transport for a build without gRPC: server.cc's part of the
// Server that Shutdown() and ~Server reach. Nothing here ever runs, since
// only Start() (which such a build does not have) sets the transport.
#include <cstdlib>

#include "daemon/server.h"

namespace berth::daemon {

void Server::TransportDeleter::operator()(Transport*) const {
  std::abort();
}
void Server::StopAccepting() {
  std::abort();
}
void Server::StopServing() {
  std::abort();
}

}  // namespace berth::daemon
