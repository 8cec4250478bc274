#include "daemon/listener.h"

#include <fcntl.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <grpcpp/security/server_credentials.h>
#include <cerrno>
#include <filesystem>

#include "pkg/service_manager/socket_activation.h"

namespace berth::daemon {

Listener::~Listener() {
  StopAccepting();
  if (wake_fd_ >= 0) close(wake_fd_);
  if (activated_fd_ >= 0) close(activated_fd_);
  if (lock_fd_ >= 0) close(lock_fd_);  // releases the flock
}

Result<std::unique_ptr<Listener>> Listener::Claim(const std::string& socket_path) {
  std::unique_ptr<Listener> l(new Listener());
  l->path_ = socket_path;

  // systemd socket activation: exactly one unix stream socket is expected.
  BERTH_ASSIGN_OR_RETURN(l->activated_fd_, service_manager::TakeActivatedSocket());
  if (l->activated_fd_ >= 0) return l;

  std::error_code ec;
  std::filesystem::path parent = std::filesystem::path(socket_path).parent_path();
  std::filesystem::create_directories(parent, ec);
  if (ec) return Internal("creating socket directory " + parent.string() + ": " + ec.message());

  // The lock, not the socket, decides who owns the path: a socket file left by
  // a killed berthd is stale, one whose lock is held belongs to a live daemon.
  std::string lock_path = socket_path + ".lock";
  l->lock_fd_ = open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (l->lock_fd_ < 0) return ErrnoError("opening lock file " + lock_path, errno);
  if (flock(l->lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return FailedPrecondition("another berthd is already serving on " + socket_path + " (lock " +
                                lock_path + " is held)");
    }
    return ErrnoError("locking " + lock_path, errno);
  }
  struct stat st {};
  if (lstat(socket_path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      return FailedPrecondition(socket_path +
                                " exists and is not a socket; refusing to replace it");
    }
    if (unlink(socket_path.c_str()) != 0) {
      return ErrnoError("removing stale socket " + socket_path, errno);
    }
    spdlog::info("replaced stale socket {}", socket_path);
  }
  return l;
}

void Listener::AttachTo(grpc::ServerBuilder& builder) {
  if (activated_fd_ < 0) {
    builder.AddListeningPort("unix:" + path_, grpc::InsecureServerCredentials());
    return;
  }
  acceptor_ = builder.experimental().AddExternalConnectionAcceptor(
      grpc::ServerBuilder::experimental_type::ExternalConnectionType::FROM_FD,
      grpc::InsecureServerCredentials());
}

Status Listener::Activate() {
  if (activated_fd_ < 0) {
    // Owner and group only: the CRI socket grants root-equivalent power.
    if (chmod(path_.c_str(), 0660) != 0) return ErrnoError("chmod 0660 " + path_, errno);
    return OkStatus();
  }
  wake_fd_ = eventfd(0, EFD_CLOEXEC);
  if (wake_fd_ < 0) return ErrnoError("eventfd", errno);
  accept_thread_ = std::thread([this] { AcceptLoop(); });
  return OkStatus();
}

void Listener::StopAccepting() {
  if (!accept_thread_.joinable()) return;
  uint64_t one = 1;
  if (write(wake_fd_, &one, sizeof one) < 0) spdlog::warn("waking accept loop failed");
  accept_thread_.join();
}

void Listener::AcceptLoop() {
  for (;;) {
    pollfd fds[2] = {{activated_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      spdlog::error("poll on activated socket: {}", strerror(errno));
      return;
    }
    if (fds[1].revents) return;
    // gRPC drives connections from its event loop: they must not block.
    int conn = accept4(activated_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (conn < 0) {
      if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED) {
        spdlog::warn("accept on activated socket: {}", strerror(errno));
      }
      continue;
    }
    grpc::experimental::ExternalConnectionAcceptor::NewConnectionParameters p;
    p.listener_fd = activated_fd_;
    p.fd = conn;  // gRPC owns it from here
    acceptor_->HandleNewConnection(&p);
  }
}

}  // namespace berth::daemon
