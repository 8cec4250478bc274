#include "pkg/oci/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>

namespace berth::oci {
namespace {

using Clock = std::chrono::steady_clock;

#ifndef CLOSE_RANGE_CLOEXEC
constexpr unsigned kCloseRangeCloexec = 1U << 2;
#else
constexpr unsigned kCloseRangeCloexec = CLOSE_RANGE_CLOEXEC;
#endif

int PidfdOpen(pid_t pid) { return static_cast<int>(syscall(SYS_pidfd_open, pid, 0)); }

void CloseFd(int& fd) {
  if (fd >= 0) close(fd);
  fd = -1;
}

// Everything the child needs, prepared before fork: after fork only
// async-signal-safe calls are allowed (other threads may hold malloc locks).
struct ChildPlan {
  std::vector<std::string> env_storage;
  std::vector<char*> argv;
  std::vector<char*> envp;
};

ChildPlan MakePlan(const ProcessSpec& spec) {
  ChildPlan plan;
  std::map<std::string, std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string kv = *e;
    env[kv.substr(0, kv.find('='))] = kv;
  }
  for (const auto& kv : spec.extra_env) env[kv.substr(0, kv.find('='))] = kv;
  for (auto& [k, kv] : env) plan.env_storage.push_back(kv);
  for (const auto& a : spec.argv) plan.argv.push_back(const_cast<char*>(a.c_str()));
  plan.argv.push_back(nullptr);
  for (auto& kv : plan.env_storage) plan.envp.push_back(kv.data());
  plan.envp.push_back(nullptr);
  return plan;
}

[[noreturn]] void ChildFail(int err_fd, int err) {
  ssize_t ignored = write(err_fd, &err, sizeof(err));
  (void)ignored;
  _exit(127);
}

// Runs in the child between fork and exec: async-signal-safe calls only.
[[noreturn]] void ChildExec(const ChildPlan& plan, const ProcessSpec& spec, int in_fd, int out_fd,
                            int err_fd, int exec_err_fd) {
  if (spec.new_process_group) setpgid(0, 0);
  // Dispositions set to "ignore" and the blocked mask survive exec: reset them.
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) sigaction(sig, &dfl, nullptr);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);

  // Move every source descriptor above the target range before placing them,
  // so a source that happens to sit on a target number is not clobbered.
  const int n = static_cast<int>(spec.pass_fds.size());
  const int high = 3 + n;
  int moved[3];
  int src[3] = {in_fd, out_fd, err_fd};
  for (int i = 0; i < 3; ++i) {
    moved[i] = fcntl(src[i], F_DUPFD_CLOEXEC, high);
    if (moved[i] < 0) ChildFail(exec_err_fd, errno);
  }
  int pass_moved[64];
  if (n > 64) ChildFail(exec_err_fd, E2BIG);
  for (int i = 0; i < n; ++i) {
    pass_moved[i] = fcntl(spec.pass_fds[i], F_DUPFD_CLOEXEC, high);
    if (pass_moved[i] < 0) ChildFail(exec_err_fd, errno);
  }
  int ef = fcntl(exec_err_fd, F_DUPFD_CLOEXEC, high);
  if (ef < 0) ChildFail(exec_err_fd, errno);
  exec_err_fd = ef;
  for (int i = 0; i < 3; ++i) {
    if (dup2(moved[i], i) < 0) ChildFail(exec_err_fd, errno);
  }
  for (int i = 0; i < n; ++i) {
    if (dup2(pass_moved[i], 3 + i) < 0) ChildFail(exec_err_fd, errno);
  }
  // Whatever else is open (other threads' sockets, files opened without
  // O_CLOEXEC by libraries) must not reach the child.
  syscall(SYS_close_range, static_cast<unsigned>(high), ~0U, kCloseRangeCloexec);
  execve(plan.argv[0], plan.argv.data(), plan.envp.data());
  ChildFail(exec_err_fd, errno);
}

std::string Argv0(const ProcessSpec& spec) {
  return spec.argv.empty() ? std::string("<empty argv>") : spec.argv[0];
}

// Writes to a pipe whose reader may be gone without letting SIGPIPE kill the
// daemon: SIGPIPE is blocked around the write and a pending one consumed.
ssize_t WriteNoSigpipe(int fd, const char* data, size_t len) {
  sigset_t pipe_set, old;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
  ssize_t n = write(fd, data, len);
  int saved = errno;
  if (n < 0 && saved == EPIPE) {
    struct timespec zero {};
    sigtimedwait(&pipe_set, nullptr, &zero);
  }
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  errno = saved;
  return n;
}

void KillChild(pid_t pid, bool group) {
  if (group) kill(-pid, SIGKILL);
  kill(pid, SIGKILL);
}

void FillStatus(int status, ProcessResult& r) {
  if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) r.term_signal = WTERMSIG(status);
}

void ReadAvailable(int& fd, std::string& into, bool& truncated, size_t limit) {
  char buf[16384];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n > 0) {
      size_t room = into.size() < limit ? limit - into.size() : 0;
      if (static_cast<size_t>(n) > room) truncated = true;
      into.append(buf, std::min(room, static_cast<size_t>(n)));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) CloseFd(fd);  // EOF
    return;                   // EAGAIN or error: come back on the next poll
  }
}

struct Pipes {
  int in[2] = {-1, -1};
  int out[2] = {-1, -1};
  int err[2] = {-1, -1};
  int exec_err[2] = {-1, -1};
  ~Pipes() {
    for (int* p : {in, out, err, exec_err}) {
      CloseFd(p[0]);
      CloseFd(p[1]);
    }
  }
};

// Forks and execs; on success the child ends of `pipes` are closed and the
// returned pid is running the program.
Result<pid_t> ForkExec(const ProcessSpec& spec, Pipes& pipes) {
  if (spec.argv.empty()) return InvalidArgument("cannot run a process with an empty argv");
  for (int* p : {pipes.in, pipes.out, pipes.err, pipes.exec_err}) {
    if (pipe2(p, O_CLOEXEC) != 0) return ErrnoError("pipe2 for " + Argv0(spec), errno);
  }
  ChildPlan plan = MakePlan(spec);
  pid_t pid = fork();
  if (pid < 0) return ErrnoError("fork for " + Argv0(spec), errno);
  if (pid == 0) {
    ChildExec(plan, spec, pipes.in[0], pipes.out[1], pipes.err[1], pipes.exec_err[1]);
  }
  CloseFd(pipes.in[0]);
  CloseFd(pipes.out[1]);
  CloseFd(pipes.err[1]);
  CloseFd(pipes.exec_err[1]);
  int child_errno = 0;
  ssize_t n;
  do {
    n = read(pipes.exec_err[0], &child_errno, sizeof(child_errno));
  } while (n < 0 && errno == EINTR);
  CloseFd(pipes.exec_err[0]);
  if (n == sizeof(child_errno)) {
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return ErrnoError("cannot execute " + Argv0(spec), child_errno);
  }
  return pid;
}

}  // namespace

std::string ProcessResult::Describe() const {
  if (term_signal != 0) return "killed by signal " + std::to_string(term_signal);
  return "exit status " + std::to_string(exit_code);
}

std::string QuoteForMessage(std::string_view s, size_t max_len) {
  std::string out = "\"";
  size_t i = 0;
  for (; i < s.size() && i < max_len; ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      char buf[8];
      snprintf(buf, sizeof(buf), "\\x%02x", c);
      out += buf;
    }
  }
  if (i < s.size()) out += "...";
  out += '"';
  return out;
}

Result<ProcessResult> RunProcess(const ProcessSpec& spec) {
  Pipes pipes;
  BERTH_ASSIGN_OR_RETURN(pid_t pid, ForkExec(spec, pipes));
  const Clock::time_point deadline = Clock::now() + spec.timeout;
  int pidfd = PidfdOpen(pid);  // the child is not reaped yet, so the pid is still its own
  ProcessResult result;
  int in_fd = pipes.in[1];
  pipes.in[1] = -1;
  int out_fd = pipes.out[0];
  pipes.out[0] = -1;
  int err_fd = pipes.err[0];
  pipes.err[0] = -1;
  for (int fd : {in_fd, out_fd, err_fd}) fcntl(fd, F_SETFL, O_NONBLOCK);
  size_t written = 0;
  if (spec.stdin_data.empty()) CloseFd(in_fd);

  bool exited = false;
  bool timed_out = false;
  while (!exited) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd fds[4];
    int nfds = 0;
    int pid_slot = -1;
    if (pidfd >= 0) {
      pid_slot = nfds;
      fds[nfds++] = {pidfd, POLLIN, 0};
    }
    if (out_fd >= 0) fds[nfds++] = {out_fd, POLLIN, 0};
    if (err_fd >= 0) fds[nfds++] = {err_fd, POLLIN, 0};
    if (in_fd >= 0) fds[nfds++] = {in_fd, POLLOUT, 0};
    // Without a pidfd (very old kernels) poll in short steps on waitpid.
    int wait_ms = pidfd >= 0 ? static_cast<int>(std::min<long>(left.count(), 1 << 30)) : 10;
    int rc = poll(fds, nfds, wait_ms);
    if (rc < 0 && errno != EINTR) break;
    if (out_fd >= 0) ReadAvailable(out_fd, result.out, result.out_truncated, spec.output_limit);
    if (err_fd >= 0) ReadAvailable(err_fd, result.err, result.err_truncated, spec.output_limit);
    if (in_fd >= 0) {
      ssize_t n = WriteNoSigpipe(in_fd, spec.stdin_data.data() + written,
                                 spec.stdin_data.size() - written);
      if (n > 0) written += static_cast<size_t>(n);
      if ((n < 0 && errno != EAGAIN && errno != EINTR) || written == spec.stdin_data.size()) {
        CloseFd(in_fd);
      }
    }
    bool child_done = pid_slot >= 0 ? (rc > 0 && (fds[pid_slot].revents & POLLIN)) : false;
    if (pidfd < 0) {
      int status;
      pid_t w = waitpid(pid, &status, WNOHANG);
      if (w == pid) {
        FillStatus(status, result);
        exited = true;
        pid = -1;
        continue;
      }
    }
    if (child_done) exited = true;
  }
  CloseFd(in_fd);
  if (timed_out && spec.on_timeout) {
    spec.on_timeout();
    if (pidfd >= 0) {
      pollfd p{pidfd, POLLIN, 0};
      while (poll(&p, 1, static_cast<int>(spec.timeout_grace.count())) < 0 && errno == EINTR) {
      }
    }
  }
  if (timed_out) {
    KillChild(pid, spec.new_process_group);
  }
  if (pid > 0) {
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    FillStatus(status, result);
  }
  // What the child wrote before exiting is already in the pipes; helpers it
  // left behind may keep them open, so read what is there and stop.
  if (out_fd >= 0) ReadAvailable(out_fd, result.out, result.out_truncated, spec.output_limit);
  if (err_fd >= 0) ReadAvailable(err_fd, result.err, result.err_truncated, spec.output_limit);
  CloseFd(out_fd);
  CloseFd(err_fd);
  CloseFd(pidfd);
  if (timed_out) {
    std::string msg = Argv0(spec) + " timed out after " + std::to_string(spec.timeout.count()) +
                      "ms and was killed";
    if (!result.err.empty()) msg += ": " + result.err;
    return DeadlineExceeded(msg);
  }
  return result;
}

bool WaitProcessGone(pid_t pid, std::chrono::milliseconds timeout) {
  if (pid <= 0) return true;
  int fd = PidfdOpen(pid);
  if (fd < 0) return errno == ESRCH;
  pollfd p{fd, POLLIN, 0};
  int rc;
  do {
    rc = poll(&p, 1, static_cast<int>(timeout.count()));
  } while (rc < 0 && errno == EINTR);
  close(fd);
  return rc > 0;
}

}  // namespace berth::oci
