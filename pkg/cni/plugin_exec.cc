#include "pkg/cni/plugin_exec.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

extern char** environ;

namespace berth::cni {
namespace {

constexpr size_t kMaxOutput = 4 << 20;

// Owns one descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { Reset(); }
  int get() const { return fd_; }
  int* out() { return &fd_; }
  void Reset() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

// Owns a started child: unless it was reaped, destruction kills its whole
// process group and reaps it, so no early return leaves a plugin running.
class Child {
 public:
  explicit Child(pid_t pid) : pid_(pid) {}
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child() {
    if (reaped_) return;
    KillGroup();
    int st = 0;
    while (waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
    }
  }
  void KillGroup() { kill(-pid_, SIGKILL); }
  // Blocks until the child exits; call once it is known to have exited.
  Status Reap(int* wait_status) {
    while (waitpid(pid_, wait_status, 0) < 0) {
      if (errno != EINTR) return ErrnoError("waitpid " + std::to_string(pid_), errno);
    }
    reaped_ = true;
    return OkStatus();
  }

 private:
  pid_t pid_;
  bool reaped_ = false;
};

Status SetNonBlocking(int fd) {
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
    return ErrnoError("fcntl O_NONBLOCK", errno);
  }
  return OkStatus();
}

// Reads what is available; returns false at EOF or on error (the fd is then closed).
bool Drain(Fd& fd, std::string* out, bool* overflow) {
  char buf[16384];
  while (true) {
    ssize_t n = read(fd.get(), buf, sizeof buf);
    if (n > 0) {
      out->append(buf, static_cast<size_t>(n));
      if (out->size() > kMaxOutput) *overflow = true;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return true;
    fd.Reset();
    return false;
  }
}

}  // namespace

std::vector<std::string> InheritedEnvironment() {
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    if (std::strncmp(*e, "CNI_", 4) == 0) continue;
    env.emplace_back(*e);
  }
  return env;
}

Result<ExecOutput> RunPlugin(const ExecRequest& req) {
  const std::string what = "CNI plugin " + req.path;
  // 1. Pipes. stdin is a socket so that writing to a plugin that exited
  // early gives EPIPE via MSG_NOSIGNAL rather than SIGPIPE in the daemon.
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
    return ErrnoError(what + ": socketpair", errno);
  }
  Fd in_parent(sv[0]), in_child(sv[1]);
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0) return ErrnoError(what + ": pipe", errno);
  Fd out_parent(p[0]), out_child(p[1]);
  if (pipe2(p, O_CLOEXEC) < 0) return ErrnoError(what + ": pipe", errno);
  Fd err_parent(p[0]), err_child(p[1]);
  BERTH_RETURN_IF_ERROR(SetNonBlocking(in_parent.get()));
  BERTH_RETURN_IF_ERROR(SetNonBlocking(out_parent.get()));
  BERTH_RETURN_IF_ERROR(SetNonBlocking(err_parent.get()));

  // 2. Spawn: own process group, default signal dispositions, empty mask.
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in_child.get(), 0);
  posix_spawn_file_actions_adddup2(&actions, out_child.get(), 1);
  posix_spawn_file_actions_adddup2(&actions, err_child.get(), 2);
  // Also close what the daemon inherited without O_CLOEXEC (e.g. from systemd
  // or a test runner): a plugin gets exactly stdin, stdout and stderr.
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  sigdelset(&all, SIGKILL);
  sigdelset(&all, SIGSTOP);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  std::vector<char*> argv = {const_cast<char*>(req.path.c_str()), nullptr};
  std::vector<char*> envp;
  for (const auto& e : req.env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, req.path.c_str(), &actions, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) return ErrnoError(what + ": spawn", rc);
  Child child(pid);
  in_child.Reset();
  out_child.Reset();
  err_child.Reset();
  Fd pidfd(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
  if (pidfd.get() < 0) return ErrnoError(what + ": pidfd_open", errno);

  // 3. Feed stdin and collect output until the child exits or time runs out.
  ExecOutput out;
  size_t written = 0;
  bool overflow = false;
  bool exited = false;
  auto deadline = std::chrono::steady_clock::now() + req.timeout;
  if (req.stdin_data.empty()) in_parent.Reset();
  while (!exited) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      child.KillGroup();
      return DeadlineExceeded(what + " did not finish within " +
                              std::to_string(req.timeout.count()) + " ms; killed");
    }
    pollfd fds[4];
    nfds_t n = 0;
    fds[n++] = {pidfd.get(), POLLIN, 0};
    if (out_parent.get() >= 0) fds[n++] = {out_parent.get(), POLLIN, 0};
    if (err_parent.get() >= 0) fds[n++] = {err_parent.get(), POLLIN, 0};
    if (in_parent.get() >= 0) fds[n++] = {in_parent.get(), POLLOUT, 0};
    int ready = poll(fds, n, static_cast<int>(std::min<int64_t>(left.count(), 1 << 30)));
    if (ready < 0 && errno != EINTR) return ErrnoError(what + ": poll", errno);
    if (ready <= 0) continue;
    for (nfds_t i = 0; i < n; ++i) {
      if (fds[i].revents == 0) continue;
      int fd = fds[i].fd;
      if (fd == pidfd.get()) {
        exited = true;
      } else if (fd == out_parent.get()) {
        Drain(out_parent, &out.stdout_data, &overflow);
      } else if (fd == err_parent.get()) {
        Drain(err_parent, &out.stderr_data, &overflow);
      } else if (fd == in_parent.get()) {
        ssize_t w = send(fd, req.stdin_data.data() + written, req.stdin_data.size() - written,
                         MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w > 0) written += static_cast<size_t>(w);
        if ((w < 0 && errno != EAGAIN && errno != EINTR) || written == req.stdin_data.size()) {
          in_parent.Reset();  // EOF for the plugin (or it stopped reading)
        }
      }
    }
    if (overflow) {
      child.KillGroup();
      return ResourceExhausted(what + " wrote more than 4 MiB of output; killed");
    }
  }
  // Everything the plugin wrote before exiting is already in the pipes;
  // later writers (its leftover children) are not part of its answer.
  if (out_parent.get() >= 0) Drain(out_parent, &out.stdout_data, &overflow);
  if (err_parent.get() >= 0) Drain(err_parent, &out.stderr_data, &overflow);
  if (overflow) return ResourceExhausted(what + " wrote more than 4 MiB of output");
  int st = 0;
  BERTH_RETURN_IF_ERROR(child.Reap(&st));
  if (WIFSIGNALED(st)) {
    out.signaled = true;
    out.term_signal = WTERMSIG(st);
  } else {
    out.exit_code = WEXITSTATUS(st);
  }
  return out;
}

}  // namespace berth::cni
