// Spawn: fork and exec with an exact descriptor map. A plain program goes
// through posix_spawn (spawn_without_copy.h); this file's own fork is for a
// controlling terminal and for ForkRun's function.
//
// Between fork and exec the child is a copy of a multi-threaded process in
// which another thread may have held malloc's (or any) lock at the fork: it
// only makes async-signal-safe system calls on a Plan built before the fork.
#include "pkg/process/spawn.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <map>
#include <set>

#include "pkg/fs/scoped_fd.h"
#include "pkg/process/child_state.h"
#include "pkg/process/internal.h"
#include "pkg/process/spawn_without_copy.h"

extern char** environ;

namespace berth::process {
namespace {

// The step at which a child failed, reported with its errno through a
// close-on-exec pipe: the pipe closes without a report when exec succeeds.
enum class Step : int { kSession, kProcessGroup, kDescriptors, kChdir, kControllingTty, kExec };

struct Report {
  Step step;
  int err;
};

std::string_view StepName(Step step) {
  switch (step) {
    case Step::kSession:
      return "setsid";
    case Step::kProcessGroup:
      return "setpgid";
    case Step::kDescriptors:
      return "set up descriptors";
    case Step::kChdir:
      return "chdir";
    case Step::kControllingTty:
      return "set controlling terminal";
    case Step::kExec:
      return "execve";
  }
  return "?";
}

// Everything the child needs, built before fork.
struct Plan {
  std::vector<std::string> env_storage;
  std::vector<char*> argv;
  std::vector<char*> envp;
  std::vector<FdMapping> fds;  // SpawnOptions::fds plus /dev/null for unmapped 0-2
  std::vector<int> moved;      // scratch for the child, one per fds entry
  std::vector<char> keep;      // keep[n]: child fd n (< high) is a target
  int high = 3;                // above every target fd
  ScopedFd dev_null;
  const char* cwd = nullptr;
  bool new_session = false;
  bool new_process_group = false;
  int controlling_tty = -1;
  // ForkRun's body, run instead of execve.
  const std::function<int()>* body = nullptr;
};

std::string_view EnvKey(std::string_view kv) {
  return kv.substr(0, kv.find('='));
}

std::vector<std::string> BuildEnvironment(const Command& c) {
  std::map<std::string, std::string, std::less<>> by_key;
  if (c.env) {
    for (const auto& kv : *c.env) by_key[std::string(EnvKey(kv))] = kv;
  } else {
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
      by_key[std::string(EnvKey(*e))] = *e;
    }
  }
  for (const auto& kv : c.extra_env) by_key[std::string(EnvKey(kv))] = kv;
  std::vector<std::string> out;
  out.reserve(by_key.size());
  for (auto& [key, kv] : by_key) out.push_back(std::move(kv));
  return out;
}

Status Validate(const SpawnOptions& o) {
  if (o.argv.empty()) return InvalidArgument("cannot run a process with an empty argv");
  std::set<int> targets;
  for (const FdMapping& m : o.fds) {
    if (m.child_fd < 0 || m.parent_fd < 0) {
      return InvalidArgument("spawn " + o.argv[0] + ": negative descriptor in the fd map");
    }
    if (!targets.insert(m.child_fd).second) {
      return InvalidArgument("spawn " + o.argv[0] + ": child fd " + std::to_string(m.child_fd) +
                             " is mapped twice");
    }
  }
  if (o.controlling_tty >= 0) {
    if (!o.new_session) {
      return InvalidArgument("spawn " + o.argv[0] + ": a controlling terminal needs a new session");
    }
    if (!targets.contains(o.controlling_tty)) {
      return InvalidArgument("spawn " + o.argv[0] + ": controlling terminal fd " +
                             std::to_string(o.controlling_tty) + " is not in the fd map");
    }
  }
  return OkStatus();
}

// Fills `plan` in place: argv and envp point into strings that must not move.
Status MakePlan(const SpawnOptions& o, Plan& plan) {
  plan.env_storage = BuildEnvironment(o);
  for (const auto& a : o.argv) plan.argv.push_back(const_cast<char*>(a.c_str()));
  plan.argv.push_back(nullptr);
  for (auto& kv : plan.env_storage) plan.envp.push_back(kv.data());
  plan.envp.push_back(nullptr);

  plan.fds = o.fds;
  for (int std_fd = 0; std_fd <= 2; ++std_fd) {
    bool mapped = false;
    for (const FdMapping& m : o.fds) mapped |= m.child_fd == std_fd;
    if (mapped) continue;
    if (!plan.dev_null.valid()) {
      plan.dev_null.reset(open("/dev/null", O_RDWR | O_CLOEXEC));
      if (!plan.dev_null.valid())
        return ErrnoError("spawn " + o.argv[0] + ": open /dev/null", errno);
    }
    plan.fds.push_back({std_fd, plan.dev_null.get()});
  }
  for (const FdMapping& m : plan.fds) plan.high = std::max(plan.high, m.child_fd + 1);
  plan.moved.assign(plan.fds.size(), -1);
  plan.keep.assign(static_cast<size_t>(plan.high), 0);
  for (const FdMapping& m : plan.fds) plan.keep[static_cast<size_t>(m.child_fd)] = 1;
  if (!o.cwd.empty()) plan.cwd = o.cwd.c_str();
  plan.new_session = o.new_session;
  plan.new_process_group = o.new_process_group;
  plan.controlling_tty = o.controlling_tty;
  return OkStatus();
}

// --- In the child: async-signal-safe calls only from here to the parent side.

[[noreturn]] void Fail(int report_fd, Step step, int err) {
  Report r{step, err};
  ssize_t ignored = write(report_fd, &r, sizeof(r));
  (void)ignored;
  _exit(127);
}

// Closes every descriptor from `first` up.
void CloseFrom(int first) {
  if (internal::CloseRange(static_cast<unsigned>(first)) == 0) return;
  // Before Linux 5.9: the open descriptors are listed in /proc/self/fd.
  int dir = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    alignas(dirent64) char buf[4096];
    long n;
    while ((n = syscall(SYS_getdents64, dir, buf, sizeof(buf))) > 0) {
      for (long off = 0; off < n;) {
        const auto* d = reinterpret_cast<const dirent64*>(buf + off);
        off += d->d_reclen;
        int fd = 0;
        const char* c = d->d_name;
        if (*c < '0' || *c > '9') continue;  // "." and ".."
        for (; *c >= '0' && *c <= '9'; ++c) fd = fd * 10 + (*c - '0');
        if (fd >= first && fd != dir) close(fd);
      }
    }
    close(dir);
    return;
  }
  // No /proc either: every number the limit allows.
  rlimit lim{};
  rlim_t max = getrlimit(RLIMIT_NOFILE, &lim) == 0 ? lim.rlim_cur : 65536;
  if (max == RLIM_INFINITY || max > (1U << 20)) max = 1U << 20;
  for (rlim_t fd = static_cast<rlim_t>(first); fd < max; ++fd) close(static_cast<int>(fd));
}

[[noreturn]] void RunChild(Plan& p, int report_fd) {
  if (p.new_session) {
    if (setsid() < 0) Fail(report_fd, Step::kSession, errno);
  } else if (p.new_process_group && setpgid(0, 0) < 0) {
    Fail(report_fd, Step::kProcessGroup, errno);
  }
  // Dispositions set to "ignore" survive exec (handlers do not); the mask,
  // all blocked by the parent around fork, is cleared just before exec.
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) sigaction(sig, &dfl, nullptr);

  // Lift the report pipe and every source above all targets first, so that
  // placing one target never overwrites a source still to be placed.
  int report = fcntl(report_fd, F_DUPFD_CLOEXEC, p.high + 1);
  if (report < 0) Fail(report_fd, Step::kDescriptors, errno);
  for (size_t i = 0; i < p.fds.size(); ++i) {
    p.moved[i] = fcntl(p.fds[i].parent_fd, F_DUPFD_CLOEXEC, p.high + 1);
    if (p.moved[i] < 0) Fail(report, Step::kDescriptors, errno);
  }
  for (size_t i = 0; i < p.fds.size(); ++i) {
    if (dup2(p.moved[i], p.fds[i].child_fd) < 0) Fail(report, Step::kDescriptors, errno);
  }
  // The report pipe sits at `high`, close-on-exec; everything else that is
  // not a target goes, inherited without O_CLOEXEC or not.
  if (dup3(report, p.high, O_CLOEXEC) < 0) Fail(report, Step::kDescriptors, errno);
  report = p.high;
  for (int fd = 3; fd < p.high; ++fd) {
    if (!p.keep[static_cast<size_t>(fd)]) close(fd);
  }
  CloseFrom(p.high + 1);

  if (p.cwd != nullptr && chdir(p.cwd) < 0) Fail(report, Step::kChdir, errno);
  if (p.controlling_tty >= 0 && ioctl(p.controlling_tty, TIOCSCTTY, 0) < 0) {
    Fail(report, Step::kControllingTty, errno);
  }
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  if (p.body != nullptr) {
    // Set up: the parent's read of the report pipe ends here, as at exec.
    close(report);
    _exit((*p.body)() & 0xff);
  }
  execve(p.argv[0], p.argv.data(), p.envp.data());
  Fail(report, Step::kExec, errno);
}

// --- Back in the parent.

}  // namespace

// `body` null runs argv[0].
Result<Child> internal::StartChild(const SpawnOptions& options, const std::function<int()>* body) {
  BERTH_RETURN_IF_ERROR(Validate(options));
  const std::string& argv0 = options.argv[0];
  Plan plan;
  BERTH_RETURN_IF_ERROR(MakePlan(options, plan));
  plan.body = body;
  auto adopt = [&](pid_t pid) {
    auto state = std::make_unique<Child::State>();
    state->pid = pid;
    // The child is unreaped, so `pid` is still its own. Without pidfds
    // (ENOSYS) Child falls back to kill(2) and waitid(2) under its lock.
    state->pidfd.reset(internal::PidfdOpen(pid));
    state->group = options.new_process_group || options.new_session;
    state->argv0 = argv0;
    return Child(std::move(state));
  };
  if (internal::CanSpawnWithoutCopy(options, body != nullptr)) {
    BERTH_ASSIGN_OR_RETURN(pid_t pid,
                           internal::SpawnWithoutCopy({&argv0, plan.argv.data(), plan.envp.data(),
                                                       &plan.fds, &plan.keep, plan.high, plan.cwd,
                                                       plan.new_session, plan.new_process_group}));
    return adopt(pid);
  }
  int report_pipe[2];
  if (pipe2(report_pipe, O_CLOEXEC) != 0) return ErrnoError("spawn " + argv0 + ": pipe2", errno);
  ScopedFd report_r(report_pipe[0]);
  ScopedFd report_w(report_pipe[1]);

  // No daemon signal handler may run in the child before its dispositions
  // are reset (it would act on the daemon's state from the wrong process).
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pid_t pid = fork();
  if (pid == 0) RunChild(plan, report_w.get());
  const int fork_err = errno;
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  if (pid < 0) return ErrnoError("fork for " + argv0, fork_err);
  report_w.reset();

  Child child = adopt(pid);

  Report report{};
  ssize_t n;
  do {
    n = read(report_r.get(), &report, sizeof(report));
  } while (n < 0 && errno == EINTR);
  if (n == static_cast<ssize_t>(sizeof(report))) {
    (void)child.Wait();  // it has called _exit(127)
    if (report.step == Step::kExec) return ErrnoError("cannot execute " + argv0, report.err);
    return ErrnoError("cannot start " + argv0 + ": " + std::string(StepName(report.step)),
                      report.err);
  }
  return child;
}

Result<Child> Spawn(const SpawnOptions& options) {
  return internal::StartChild(options, nullptr);
}

Result<Child> ForkRun(const SpawnOptions& options, const std::function<int()>& body) {
  return internal::StartChild(options, &body);
}

}  // namespace berth::process
