// Where berthd listens: its own unix socket (parent created, stale socket
// replaced, a lock refusing a second berthd on the same path) or a socket
// handed over by systemd (LISTEN_FDS).
#pragma once

#include <grpcpp/server_builder.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "pkg/base/status.h"

namespace berth::daemon {

class Listener {
 public:
  ~Listener();

  // Claims `socket_path` (or the systemd-provided socket). Must run before the
  // gRPC server is built; then call AttachTo().
  static Result<std::unique_ptr<Listener>> Claim(const std::string& socket_path);

  // Registers the listening endpoint with the builder.
  void AttachTo(grpc::ServerBuilder& builder);
  // After the server started: socket mode 0660, accept thread for activation.
  Status Activate();
  // Stops handing new connections to gRPC (activation mode).
  void StopAccepting();

  bool socket_activated() const { return activated_fd_ >= 0; }
  const std::string& path() const { return path_; }

 private:
  Listener() = default;
  void AcceptLoop();

  std::string path_;
  int lock_fd_ = -1;
  int activated_fd_ = -1;  // systemd's listening socket, when activated
  int wake_fd_ = -1;       // eventfd that ends AcceptLoop
  std::unique_ptr<grpc::experimental::ExternalConnectionAcceptor> acceptor_;
  std::thread accept_thread_;
};

}  // namespace berth::daemon
