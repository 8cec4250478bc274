// Exec, Attach and PortForward: each validates the request against the
// object's current state and answers a single-use URL on the streaming
// server (pkg/streaming), which the client upgrades; the session itself runs
// in stream_exec.cc, stream_attach.cc and stream_port_forward.cc.
#include "daemon/server.h"
#include "pkg/streaming/stream_server.h"

namespace berth::daemon {

namespace rt = runtime::v1;

namespace {

// The channel rules every remote command shares.
Status ValidateChannels(const std::string& what, bool tty, bool in, bool out, bool err) {
  if (tty && err) {
    return InvalidArgument(what + ": tty and stderr cannot both be set (a terminal has one "
                           "output stream)");
  }
  if (!in && !out && !err) {
    return InvalidArgument(what + ": at least one of stdin, stdout and stderr must be set");
  }
  return OkStatus();
}

}  // namespace

Result<std::shared_ptr<Container>> Server::RunningContainer(const std::string& id,
                                                            const std::string& what) {
  if (id.empty()) return InvalidArgument(what + ": container_id is required");
  BERTH_ASSIGN_OR_RETURN(std::shared_ptr<Container> c, containers_.Get(id));
  if (containers_.Read([&] { return c->state; }) != rt::CONTAINER_RUNNING) {
    return FailedPrecondition(what + ": container " + c->id + " is not running");
  }
  return c;
}

Status Server::Exec(const rt::ExecRequest& req, rt::ExecResponse* resp) {
  BERTH_ASSIGN_OR_RETURN(std::shared_ptr<Container> c, RunningContainer(req.container_id(), "exec"));
  if (req.cmd().empty()) return InvalidArgument("exec in container " + c->id + ": cmd is required");
  BERTH_RETURN_IF_ERROR(ValidateChannels("exec in container " + c->id, req.tty(), req.stdin(),
                                         req.stdout(), req.stderr()));
  streaming::StreamRequest s;
  s.kind = streaming::StreamKind::kExec;
  s.container_id = c->id;
  s.cmd.assign(req.cmd().begin(), req.cmd().end());
  s.tty = req.tty();
  s.stdin = req.stdin();
  s.stdout = req.stdout();
  s.stderr = req.stderr();
  BERTH_ASSIGN_OR_RETURN(std::string url, stream_server_->NewUrl(std::move(s)));
  resp->set_url(url);
  return OkStatus();
}

Status Server::Attach(const rt::AttachRequest& req, rt::AttachResponse* resp) {
  BERTH_ASSIGN_OR_RETURN(std::shared_ptr<Container> c,
                         RunningContainer(req.container_id(), "attach"));
  BERTH_RETURN_IF_ERROR(ValidateChannels("attach to container " + c->id, req.tty(), req.stdin(),
                                         req.stdout(), req.stderr()));
  if (req.stdin() && !c->config.stdin()) {
    return InvalidArgument("attach to container " + c->id +
                           ": stdin requested, but the container was created without stdin");
  }
  streaming::StreamRequest s;
  s.kind = streaming::StreamKind::kAttach;
  s.container_id = c->id;
  // The client's tty flag only decides which channels it opens (kubectl
  // attach without -t to a terminal container is fine): conmon sends a
  // terminal's output as stdout, and a resize of a non-terminal is ignored.
  s.tty = req.tty();
  s.stdin = req.stdin();
  s.stdout = req.stdout();
  s.stderr = req.stderr();
  BERTH_ASSIGN_OR_RETURN(std::string url, stream_server_->NewUrl(std::move(s)));
  resp->set_url(url);
  return OkStatus();
}

Status Server::PortForward(const rt::PortForwardRequest& req, rt::PortForwardResponse* resp) {
  if (req.pod_sandbox_id().empty()) return InvalidArgument("port-forward: pod_sandbox_id is required");
  BERTH_ASSIGN_OR_RETURN(std::shared_ptr<Sandbox> sb, sandboxes_.Get(req.pod_sandbox_id()));
  if (sandboxes_.Read([&] { return sb->state; }) != rt::SANDBOX_READY) {
    return FailedPrecondition("port-forward to pod sandbox " + sb->id + ": it is not ready");
  }
  streaming::StreamRequest s;
  s.kind = streaming::StreamKind::kPortForward;
  s.sandbox_id = sb->id;
  for (int32_t port : req.port()) {
    if (port < 1 || port > 65535) {
      return InvalidArgument("port-forward to pod sandbox " + sb->id + ": port " +
                             std::to_string(port) + " is not between 1 and 65535");
    }
    s.ports.push_back(port);
  }
  BERTH_ASSIGN_OR_RETURN(std::string url, stream_server_->NewUrl(std::move(s)));
  resp->set_url(url);
  return OkStatus();
}

}  // namespace berth::daemon
