// A streaming exec session: `runc exec` (the pod's runtime) runs the command
// in the container with the container's own process settings, on pipes or,
// with tty, on a pty berthd owns. runc runs in the foreground and copies
// between its own pty inside the container and ours; resizing ours
// (TIOCSWINSZ) sends runc SIGWINCH, and it passes the size on.
//
// When the client goes away the command is killed through the pid file the
// runtime writes (OciRuntime::KillExecProcess; the runtime, waiting for it,
// then exits), so no exec is left running in the container.
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "daemon/server.h"
#include "daemon/stream_pump.h"
#include "pkg/oci/conmon.h"
#include "pkg/process/spawn.h"

namespace berth::daemon {

namespace {

// Output still arriving after runc exits comes from processes the command
// left behind holding its stdout; give it this long, then stop.
constexpr auto kDrainAfterExit = std::chrono::milliseconds(500);

// One output source of the process and where its bytes go.
struct Output {
  ScopedFd fd;
  streaming::ByteWriter* to = nullptr;
  bool open = true;
};

// Copies the outputs to the client until they end, the process has exited
// and the drain time passed, or the client hangs up (false).
bool PumpOutputs(std::vector<Output>& outs, process::Child& child, streaming::Hangup& hangup) {
  std::optional<std::chrono::steady_clock::time_point> drain_until;
  char buf[32 * 1024];
  while (true) {
    std::vector<pollfd> p;
    for (const Output& o : outs) p.push_back({o.open ? o.fd.get() : -1, POLLIN, 0});
    p.push_back({hangup.fd(), POLLIN, 0});
    p.push_back({drain_until ? -1 : child.pidfd(), POLLIN, 0});
    bool any_open = false;
    for (const Output& o : outs) any_open |= o.open;
    if (!any_open) return true;
    int timeout = -1;
    if (drain_until) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          *drain_until - std::chrono::steady_clock::now());
      if (left.count() <= 0) return true;
      timeout = static_cast<int>(left.count());
    } else if (child.pidfd() < 0) {
      timeout = 100;  // no pidfd on this kernel: notice the exit by polling
    }
    int n = poll(p.data(), p.size(), timeout);
    if (n < 0 && errno != EINTR) return true;
    if (p[outs.size()].revents != 0) return false;
    if (!drain_until &&
        (p[outs.size() + 1].revents != 0 || (child.pidfd() < 0 && kill(child.pid(), 0) != 0))) {
      drain_until = std::chrono::steady_clock::now() + kDrainAfterExit;
    }
    for (size_t i = 0; i < outs.size(); ++i) {
      if (!outs[i].open || p[i].revents == 0) continue;
      ssize_t got = read(outs[i].fd.get(), buf, sizeof buf);
      if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      // EIO: the pty's last slave closed, its end of stream.
      if (got <= 0) {
        outs[i].open = false;
        continue;
      }
      if (outs[i].to != nullptr && !outs[i].to->Write(std::string_view(buf, got)).ok()) {
        return false;
      }
    }
  }
}

}  // namespace

streaming::ExecOutcome Server::StreamExec(const streaming::StreamRequest& req,
                                          streaming::ExecIo& io) {
  Result<std::shared_ptr<Container>> found = RunningContainer(req.container_id, "exec");
  if (!found.ok()) return {found.status(), std::nullopt};
  const Container& c = **found;
  google::protobuf::RepeatedPtrField<std::string> cmd(req.cmd.begin(), req.cmd.end());
  Result<std::string> base = WriteExecProcess(c, cmd, req.tty);
  if (!base.ok()) return {base.status(), std::nullopt};
  ExecFilesCleanup cleanup{*base};

  // 1. Descriptors: one pty, or a pipe per requested stream.
  const oci::OciRuntime runtime = RuntimeFor(c);
  process::SpawnOptions spawn;
  spawn.argv = runtime.ExecArgv(c.id, *base + ".json", *base + ".pid");
  ScopedFd stdin_w;  // what the client types goes here
  std::vector<Output> outs;
  std::vector<ScopedFd> child_ends;  // closed in berthd once the child has them
  if (req.tty) {
    int master = -1, slave = -1;
    if (openpty(&master, &slave, nullptr, nullptr, nullptr) != 0) {
      return {ErrnoError("exec in container " + c.id + ": openpty", errno), std::nullopt};
    }
    fcntl(master, F_SETFD, FD_CLOEXEC);
    fcntl(slave, F_SETFD, FD_CLOEXEC);
    ScopedFd m(master);
    child_ends.emplace_back(slave);
    spawn.fds = {{0, slave}, {1, slave}, {2, slave}};
    spawn.new_session = true;
    spawn.controlling_tty = 0;
    if (Status s = SetNonBlocking(master); !s.ok()) return {s, std::nullopt};
    stdin_w = ScopedFd(dup(master));
    fcntl(stdin_w.get(), F_SETFD, FD_CLOEXEC);
    outs.push_back({std::move(m), io.stdout});
  } else {
    auto add_pipe = [&](int child_fd, bool child_reads) -> Status {
      ScopedFd r, w;
      BERTH_RETURN_IF_ERROR(MakePipe(r, w));
      if (child_reads) {
        spawn.fds.push_back({child_fd, r.get()});
        BERTH_RETURN_IF_ERROR(SetNonBlocking(w.get()));
        stdin_w = std::move(w);
        child_ends.push_back(std::move(r));
      } else {
        spawn.fds.push_back({child_fd, w.get()});
        BERTH_RETURN_IF_ERROR(SetNonBlocking(r.get()));
        outs.push_back({std::move(r), child_fd == 1 ? io.stdout : io.stderr});
        child_ends.push_back(std::move(w));
      }
      return OkStatus();
    };
    Status s = OkStatus();
    if (io.stdin != nullptr) s = add_pipe(0, true);
    if (s.ok() && io.stdout != nullptr) s = add_pipe(1, false);
    if (s.ok() && io.stderr != nullptr) s = add_pipe(2, false);
    if (!s.ok()) return {s.WithContext("exec in container " + c.id), std::nullopt};
  }

  // 2. Start runc exec; berthd keeps only its own ends.
  Result<process::Child> child = process::Spawn(spawn);
  child_ends.clear();
  if (!child.ok()) return {child.status().WithContext("exec in container " + c.id), std::nullopt};
  spdlog::debug("exec in container {}: started {} (pid {})", c.id, req.cmd.front(), child->pid());

  // 3. Client input and terminal sizes on threads of their own.
  int master_fd = req.tty ? outs.front().fd.get() : -1;
  ReaderThread input(io.stdin, [&](streaming::ByteReader& in, int stop_fd) {
    CopyClientToFd(in, stdin_w.get(), stop_fd, [&] {
      // End of the client's stdin: on pipes the command sees EOF; a terminal
      // stays open (the command reads until the session ends).
      if (!req.tty) stdin_w.reset();
    });
  });
  ReaderThread resizer(req.tty ? io.resize : nullptr, [&](streaming::ByteReader& r, int) {
    std::string carry;
    while (std::optional<streaming::TerminalSize> size = streaming::NextTerminalSize(r, carry)) {
      winsize ws{};
      ws.ws_col = size->width;
      ws.ws_row = size->height;
      ioctl(master_fd, TIOCSWINSZ, &ws);
    }
  });

  // 4. Output until the process is done, or the client leaves.
  bool client_stayed = PumpOutputs(outs, *child, *io.hangup);
  if (!client_stayed) {
    spdlog::info("exec in container {}: client went away; killing {}", c.id, req.cmd.front());
    runtime.KillExecProcess(c.id, *base + ".pid");
  }
  Result<std::optional<process::ExitStatus>> ended =
      child->WaitFor(std::chrono::steady_clock::now() + std::chrono::seconds(10));
  if (!ended.ok()) return {ended.status(), std::nullopt};
  Result<process::ExitStatus> status = process::ExitStatus{};
  if (ended->has_value()) {
    status = **ended;
  } else {
    // runc did not end after its command was killed: end it too.
    (void)child->Signal(SIGKILL);
    status = child->Wait();
  }
  if (!status.ok()) return {status.status(), std::nullopt};
  int code = status->term_signal != 0 ? 128 + status->term_signal : status->exit_code;
  return {OkStatus(), code};
}

}  // namespace berth::daemon
