// Exec on Windows: the Linux session runs the OCI runtime's exec with a pty
// or pipes (stream_exec.cc). A Windows container's process is started
// through HCS, with a pseudo console (ConPTY) for a tty, and berth has no
// HCS runtime yet, so the session fails with that said, once the container
// is known to be running.
#include "daemon/server.h"

namespace berth::daemon {

streaming::ExecOutcome Server::StreamExec(const streaming::StreamRequest& req, streaming::ExecIo&) {
  Result<std::shared_ptr<Container>> found = RunningContainer(req.container_id, "exec");
  if (!found.ok()) return {found.status(), std::nullopt};
  return {Unimplemented("exec in container " + (*found)->id +
                        ": runc's exec with a pty or pipes is Linux-only; on Windows an HCS "
                        "process with a pseudo console (ConPTY) would do it"),
          std::nullopt};
}

}  // namespace berth::daemon
