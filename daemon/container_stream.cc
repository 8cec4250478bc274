// Exec, Attach and PortForward: each validates the request against the
// object's current state and answers a single-use URL on the streaming
// server (pkg/streaming), which the client upgrades; the session itself runs
// in stream_exec.cc, stream_attach.cc and stream_port_forward.cc.
#include "daemon/server.h"
#include "daemon/validate.h"
#include "pkg/streaming/stream_server.h"

namespace berth::daemon {

namespace rt = runtime::v1;

namespace {

// A remote command's request after the channel rules every one shares:
// tty and stderr exclude each other, and at least one channel is asked for.
template <typename Req>
Result<streaming::StreamRequest> RemoteCommand(streaming::StreamKind kind, const std::string& what,
                                               const std::string& container_id, const Req& req) {
  if (req.tty() && req.stderr()) {
    return InvalidArgument(what +
                           ": tty and stderr cannot both be set (a terminal has one "
                           "output stream)");
  }
  if (!req.stdin() && !req.stdout() && !req.stderr()) {
    return InvalidArgument(what + ": at least one of stdin, stdout and stderr must be set");
  }
  streaming::StreamRequest s;
  s.kind = kind;
  s.container_id = container_id;
  s.tty = req.tty();
  s.stdin = req.stdin();
  s.stdout = req.stdout();
  s.stderr = req.stderr();
  return s;
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
  BERTH_ASSIGN_OR_RETURN(std::shared_ptr<Container> c,
                         RunningContainer(req.container_id(), "exec"));
  const std::string what = "exec in container " + c->id;
  if (req.cmd().empty()) return InvalidArgument(what + ": cmd is required");
  BERTH_RETURN_IF_ERROR(CheckArgv(what + ": cmd", req.cmd()));
  BERTH_ASSIGN_OR_RETURN(streaming::StreamRequest s,
                         RemoteCommand(streaming::StreamKind::kExec, what, c->id, req));
  s.cmd.assign(req.cmd().begin(), req.cmd().end());
  BERTH_ASSIGN_OR_RETURN(std::string url, stream_server_->NewUrl(std::move(s)));
  resp->set_url(url);
  return OkStatus();
}

Status Server::Attach(const rt::AttachRequest& req, rt::AttachResponse* resp) {
  BERTH_ASSIGN_OR_RETURN(std::shared_ptr<Container> c,
                         RunningContainer(req.container_id(), "attach"));
  const std::string what = "attach to container " + c->id;
  // The client's tty flag only decides which channels it opens (kubectl
  // attach without -t to a terminal container is fine): conmon sends a
  // terminal's output as stdout, and a resize of a non-terminal is ignored.
  BERTH_ASSIGN_OR_RETURN(streaming::StreamRequest s,
                         RemoteCommand(streaming::StreamKind::kAttach, what, c->id, req));
  if (req.stdin() && !c->config.stdin()) {
    return InvalidArgument(what + ": stdin requested, but the container was created without stdin");
  }
  BERTH_ASSIGN_OR_RETURN(std::string url, stream_server_->NewUrl(std::move(s)));
  resp->set_url(url);
  return OkStatus();
}

Status Server::PortForward(const rt::PortForwardRequest& req, rt::PortForwardResponse* resp) {
  if (req.pod_sandbox_id().empty())
    return InvalidArgument("port-forward: pod_sandbox_id is required");
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
