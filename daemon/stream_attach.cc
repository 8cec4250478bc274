// A streaming attach session: through conmon's attach socket (conmon runs
// with --full-attach, so it is <bundle>/attach). conmon sends the
// container's output as SEQPACKET messages whose first byte names the stream
// (2 stdout, 3 stderr) and takes raw stdin bytes; shutting down our sending
// side tells it stdin ended (it then closes the container's stdin, unless the
// container keeps stdin open across attaches). Resizes go to conmon's ctl
// fifo as "1 <height> <width>". Every attached client gets the output.
#include <fcntl.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon/server.h"
#include "daemon/stream_pump.h"
#include "pkg/oci/conmon.h"

namespace berth::daemon {

namespace {

constexpr char kStdoutTag = 2;
constexpr char kStderrTag = 3;
// conmon reads stdin in 8 KiB pieces; a larger packet would be cut.
constexpr size_t kStdinPacket = 8192;

// Connects to a SEQPACKET socket at `path`, through /proc/self/fd so a path
// longer than sun_path (108 bytes) works too.
Result<ScopedFd> ConnectAttachSocket(const std::string& path) {
  ScopedFd dir_fd(open(path.c_str(), O_PATH | O_CLOEXEC));
  if (!dir_fd) return ErrnoError("open " + path, errno);
  ScopedFd sock(socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  if (!sock) return ErrnoError("socket", errno);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  snprintf(addr.sun_path, sizeof addr.sun_path, "/proc/self/fd/%d", dir_fd.get());
  if (connect(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    return ErrnoError("connect " + path, errno);
  }
  // Non-blocking: the stdin thread waits for room together with its stop fd.
  if (Status s = SetNonBlocking(sock.get()); !s.ok()) return s.WithContext(path);
  return sock;
}

}  // namespace

streaming::ExecOutcome Server::StreamAttach(const streaming::StreamRequest& req,
                                            streaming::ExecIo& io) {
  Result<std::shared_ptr<Container>> found = RunningContainer(req.container_id, "attach");
  if (!found.ok()) return {found.status(), std::nullopt};
  const Container& c = **found;
  const std::string what = "attach to container " + c.id;
  Result<ScopedFd> sock = ConnectAttachSocket(oci::ConmonDriver::AttachSocketPath(c.bundle_dir));
  if (!sock.ok()) return {sock.status().WithContext(what), std::nullopt};
  int fd = sock->get();

  // Client input, in packets conmon reads whole.
  const bool close_stdin_at_eof = c.config.stdin_once();
  ReaderThread input(io.stdin, [&](streaming::ByteReader& in, int stop_fd) {
    char buf[kStdinPacket];
    while (true) {
      Result<size_t> n = in.Read(buf, sizeof buf);
      if (!n.ok()) return;
      if (*n == 0) {
        if (close_stdin_at_eof) shutdown(fd, SHUT_WR);
        return;
      }
      if (!WriteAllToFd(fd, buf, *n, stop_fd)) return;
    }
  });
  ReaderThread resizer(req.tty ? io.resize : nullptr, [&](streaming::ByteReader& r, int) {
    std::string carry;
    const std::string ctl = oci::ConmonDriver::CtlFifoPath(c.bundle_dir);
    while (std::optional<streaming::TerminalSize> size = streaming::NextTerminalSize(r, carry)) {
      ScopedFd f(open(ctl.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC));
      std::string line =
          "1 " + std::to_string(size->height) + " " + std::to_string(size->width) + "\n";
      if (!f || write(f.get(), line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
        spdlog::debug("{}: resize to {}x{} not delivered: {}", what, size->width, size->height,
                      strerror(errno));
      }
    }
  });

  // Output until conmon closes (the container exited) or the client leaves.
  char buf[kStdinPacket + 1];
  while (true) {
    pollfd p[2] = {{fd, POLLIN, 0}, {io.hangup->fd(), POLLIN, 0}};
    if (poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return {ErrnoError(what + ": poll", errno), std::nullopt};
    }
    if (p[1].revents != 0) return {OkStatus(), std::nullopt};
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) return {OkStatus(), std::nullopt};
    streaming::ByteWriter* to = buf[0] == kStdoutTag   ? io.stdout
                                : buf[0] == kStderrTag ? (req.tty ? io.stdout : io.stderr)
                                                       : nullptr;
    if (to != nullptr && n > 1 && !to->Write(std::string_view(buf + 1, n - 1)).ok()) {
      return {OkStatus(), std::nullopt};
    }
  }
}

}  // namespace berth::daemon
