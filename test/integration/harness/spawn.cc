#include "test/integration/harness/spawn.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <thread>

extern char** environ;

namespace berth::testing {
namespace {

// PR_SET_PDEATHSIG fires when the *thread* that forked the child ends, not
// the process: a child forked by a test's own short-lived thread would be
// killed when that thread returns. So every fork happens on this one thread,
// which is started on first use and never ends before the process does.
class SpawnThread {
 public:
  static SpawnThread& Get() {
    // Never destroyed: the thread may still run while static destructors do.
    static SpawnThread* const instance = new SpawnThread;
    return *instance;
  }

  pid_t Run(std::function<pid_t()> fork_child) {
    std::packaged_task<pid_t()> task(std::move(fork_child));
    std::future<pid_t> pid = task.get_future();
    {
      std::lock_guard<std::mutex> lock(mu_);
      queue_.push_back(std::move(task));
    }
    cv_.notify_one();
    return pid.get();
  }

 private:
  SpawnThread() {
    std::thread([this] { Loop(); }).detach();
  }

  [[noreturn]] void Loop() {
    for (;;) {
      std::packaged_task<pid_t()> task;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [this] { return !queue_.empty(); });
        task = std::move(queue_.front());
        queue_.pop_front();
      }
      task();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::packaged_task<pid_t()>> queue_;  // guarded by mu_
};

// The child's environment, "KEY=value" each: the test's own with `env` laid over it.
std::vector<std::string> ChildEnvironment(
    const std::vector<std::pair<std::string, std::string>>& env) {
  std::vector<std::string> out;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry = *e;
    const std::string key = entry.substr(0, entry.find('='));
    bool replaced = false;
    for (const auto& [k, v] : env) replaced = replaced || k == key;
    if (!replaced) out.push_back(entry);
  }
  for (const auto& [k, v] : env) out.push_back(k + "=" + v);
  return out;
}

std::vector<char*> NullTerminated(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

}  // namespace

pid_t Spawn(const std::vector<std::string>& argv, int out_fd,
            const std::vector<std::pair<std::string, std::string>>& env,
            const std::vector<InheritedFd>& fds) {
  // Everything the child needs is prepared here: after fork it makes only
  // async-signal-safe calls (the test binary has other threads).
  std::vector<std::string> args = argv;
  std::vector<std::string> env_entries = ChildEnvironment(env);
  std::vector<char*> cargv = NullTerminated(args);
  std::vector<char*> cenv = NullTerminated(env_entries);
  const pid_t test_binary = getpid();
  return SpawnThread::Get().Run([&]() -> pid_t {
    const pid_t pid = fork();
    if (pid != 0) return pid;
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    // The test binary may have died between fork and prctl: then nobody
    // would send the signal.
    if (getppid() != test_binary) _exit(127);
    setpgid(0, 0);
    dup2(out_fd, 1);
    dup2(out_fd, 2);
    for (const InheritedFd& fd : fds) {
      // dup2 onto itself keeps close-on-exec: clear it instead.
      if (fd.parent_fd == fd.child_fd) {
        fcntl(fd.child_fd, F_SETFD, 0);
      } else {
        dup2(fd.parent_fd, fd.child_fd);
      }
    }
    const int devnull = open("/dev/null", O_RDONLY);
    dup2(devnull, 0);
    execve(cargv[0], cargv.data(), cenv.data());
    _exit(127);
  });
}

SpawnedProcess::SpawnedProcess(const std::vector<std::string>& argv) {
  const int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
  pid_ = Spawn(argv, devnull);
  close(devnull);
}

SpawnedProcess::~SpawnedProcess() {
  if (pid_ <= 0) return;
  kill(-pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
}

PipeRead ReadPipe(int fd, std::chrono::milliseconds timeout, std::string* out,
                  const std::function<bool(const std::string&)>& wanted) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!wanted || !wanted(*out)) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return PipeRead::kTimedOut;
    pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    char buf[4096];
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n == 0) return PipeRead::kClosed;
    if (n > 0) out->append(buf, static_cast<size_t>(n));
  }
  return PipeRead::kWanted;
}

bool WaitPid(pid_t pid, int* status, std::chrono::milliseconds timeout) {
  // The pidfd becomes readable when the child exits.
  const int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  if (pidfd < 0) return waitpid(pid, status, 0) == pid;
  pollfd p = {pidfd, POLLIN, 0};
  const int ready = poll(&p, 1, static_cast<int>(timeout.count()));
  close(pidfd);
  if (ready <= 0) return false;
  return waitpid(pid, status, 0) == pid;
}

}  // namespace berth::testing
