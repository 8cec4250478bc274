#include "pkg/credentials/exec_plugin.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>

#include "pkg/fs/scoped_fd.h"

extern char** environ;

namespace berth::credentials {
namespace {

// Owns a spawned child: kills its process group and reaps it unless reaped already.
class Child {
 public:
  explicit Child(pid_t pid) : pid_(pid) {}
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child() {
    if (pid_ <= 0) return;
    kill(-pid_, SIGKILL);
    int status;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
  pid_t pid() const { return pid_; }
  void Reaped() { pid_ = -1; }

 private:
  pid_t pid_;
};

struct Pipe {
  ScopedFd read, write;
};

Result<Pipe> MakePipe() {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return ErrnoError("pipe2", errno);
  return Pipe{ScopedFd(fds[0]), ScopedFd(fds[1])};
}

// write(2) without dying of SIGPIPE when the plugin closed its stdin early:
// SIGPIPE is blocked in this thread for the call and a pending one consumed.
ssize_t WriteNoSigpipe(int fd, const char* data, size_t len) {
  sigset_t pipe_set, old;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  sigset_t pending;
  sigpending(&pending);
  bool was_pending = sigismember(&pending, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
  ssize_t n = write(fd, data, len);
  int saved = errno;
  if (n < 0 && saved == EPIPE && !was_pending) {
    timespec zero{0, 0};
    sigtimedwait(&pipe_set, nullptr, &zero);
  }
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  errno = saved;
  return n;
}

}  // namespace

Result<std::string> RunExecPlugin(const ExecRequest& req) {
  const std::string what = "credential provider plugin " + req.path;
  BERTH_ASSIGN_OR_RETURN(Pipe in, MakePipe());
  BERTH_ASSIGN_OR_RETURN(Pipe out, MakePipe());
  BERTH_ASSIGN_OR_RETURN(Pipe err, MakePipe());

  // argv and envp are built before spawning (nothing allocates in the child).
  std::vector<std::string> argv_s = {req.path};
  argv_s.insert(argv_s.end(), req.args.begin(), req.args.end());
  std::map<std::string, std::string> env_map;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string kv(*e);
    size_t eq = kv.find('=');
    if (eq != std::string::npos) env_map[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  for (const auto& [k, v] : req.env) env_map[k] = v;
  std::vector<std::string> env_s;
  for (const auto& [k, v] : env_map) env_s.push_back(k + "=" + v);
  std::vector<char*> argv, envp;
  for (std::string& s : argv_s) argv.push_back(s.data());
  argv.push_back(nullptr);
  for (std::string& s : env_s) envp.push_back(s.data());
  envp.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in.read.get(), 0);
  posix_spawn_file_actions_adddup2(&actions, out.write.get(), 1);
  posix_spawn_file_actions_adddup2(&actions, err.write.get(), 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  for (int s : {SIGPIPE, SIGINT, SIGTERM, SIGCHLD, SIGHUP}) sigaddset(&defaults, s);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setpgroup(&attr, 0);  // own group: a timeout kills the plugin's children too
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                      POSIX_SPAWN_SETSIGDEF);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, req.path.c_str(), &actions, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) return ErrnoError("start " + what, rc);
  Child child(pid);
  in.read.reset();
  out.write.reset();
  err.write.reset();

  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  if (pidfd < 0) return ErrnoError("pidfd_open for " + what, errno);
  ScopedFd pid_fd(pidfd);
  if (fcntl(in.write.get(), F_SETFL, O_NONBLOCK) != 0) return ErrnoError("fcntl", errno);

  const auto deadline = std::chrono::steady_clock::now() + req.timeout;
  std::string stdout_data;
  size_t stdin_off = 0;
  size_t stderr_bytes = 0;
  bool exited = false;
  if (req.stdin_data.empty()) in.write.reset();
  while (!exited || out.read.valid() || err.read.valid()) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      return DeadlineExceeded(what + " did not finish within " +
                              std::to_string(req.timeout.count()) + " ms; killed");
    }
    pollfd fds[4];
    int n = 0;
    auto add = [&](const ScopedFd& fd, short events) {
      if (fd.valid()) fds[n++] = pollfd{fd.get(), events, 0};
    };
    add(in.write, POLLOUT);
    add(out.read, POLLIN);
    add(err.read, POLLIN);
    if (!exited) add(pid_fd, POLLIN);
    int pr = poll(fds, static_cast<nfds_t>(n), static_cast<int>(std::min<int64_t>(left.count(), 1000)));
    if (pr < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("poll " + what, errno);
    }
    for (int i = 0; i < n; ++i) {
      if (fds[i].revents == 0) continue;
      char buf[8192];
      if (in.write.valid() && fds[i].fd == in.write.get()) {
        ssize_t w = WriteNoSigpipe(in.write.get(), req.stdin_data.data() + stdin_off,
                                   req.stdin_data.size() - stdin_off);
        if (w > 0) stdin_off += static_cast<size_t>(w);
        if ((w < 0 && errno != EAGAIN && errno != EINTR) || stdin_off == req.stdin_data.size()) {
          in.write.reset();  // EOF tells the plugin the request is complete
        }
      } else if (out.read.valid() && fds[i].fd == out.read.get()) {
        ssize_t r = read(out.read.get(), buf, sizeof(buf));
        if (r > 0) {
          if (stdout_data.size() + static_cast<size_t>(r) > req.max_output) {
            return ResourceExhausted(what + " wrote more than " + std::to_string(req.max_output) +
                                     " bytes");
          }
          stdout_data.append(buf, static_cast<size_t>(r));
        } else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
          out.read.reset();
        }
      } else if (err.read.valid() && fds[i].fd == err.read.get()) {
        ssize_t r = read(err.read.get(), buf, sizeof(buf));
        if (r > 0) {
          stderr_bytes += static_cast<size_t>(r);  // drained, never logged (may hold secrets)
        } else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
          err.read.reset();
        }
      } else if (fds[i].fd == pid_fd.get()) {
        exited = true;
      }
    }
  }
  int status = 0;
  if (waitpid(pid, &status, 0) < 0) return ErrnoError("waitpid " + what, errno);
  child.Reaped();
  if (WIFSIGNALED(status)) {
    return Internal(what + " was killed by signal " + std::to_string(WTERMSIG(status)));
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return Internal(what + " exited with status " + std::to_string(WEXITSTATUS(status)) + " (" +
                    std::to_string(stderr_bytes) + " bytes on stderr)");
  }
  return stdout_data;
}

}  // namespace berth::credentials
