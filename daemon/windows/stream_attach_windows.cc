// Attach on Windows: the Linux session speaks conmon's attach socket
// protocol (stream_attach.cc). A Windows container's stdio is HCS's, and
// berth has no HCS runtime yet, so the session fails with that said, once
// the container is known to be running.
#include "daemon/server.h"

namespace berth::daemon {

streaming::ExecOutcome Server::StreamAttach(const streaming::StreamRequest& req,
                                            streaming::ExecIo&) {
  Result<std::shared_ptr<Container>> found = RunningContainer(req.container_id, "attach");
  if (!found.ok()) return {found.status(), std::nullopt};
  return {Unimplemented("attach to container " + (*found)->id +
                        ": conmon's attach socket is Linux-only; on Windows the container's "
                        "stdio through HCS (ConPTY for a tty) would do it"),
          std::nullopt};
}

}  // namespace berth::daemon
