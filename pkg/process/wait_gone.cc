#include "pkg/process/wait_gone.h"

#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <string>
#include <thread>

#include "pkg/fs/scoped_fd.h"
#include "pkg/process/internal.h"

namespace berth::process {
namespace {

using Clock = std::chrono::steady_clock;

// Exited counts as gone: a zombie waits only for its parent to reap it.
bool ExitedByProcfs(pid_t pid) {
  if (kill(pid, 0) != 0 && errno == ESRCH) return true;
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (stat.empty()) return true;
  size_t close = stat.rfind(')');  // the command name may hold spaces and parentheses
  return close != std::string::npos && close + 2 < stat.size() && stat[close + 2] == 'Z';
}

}  // namespace

bool WaitProcessGone(pid_t pid, std::chrono::milliseconds timeout) {
  if (pid <= 0) return true;
  ScopedFd fd(internal::PidfdOpen(pid));
  if (fd.valid()) {
    const Clock::time_point deadline = Clock::now() + timeout;
    for (;;) {
      pollfd p{fd.get(), POLLIN, 0};
      int rc = poll(&p, 1, internal::PollMs(deadline - Clock::now()));
      if (rc > 0) return true;
      if (rc == 0 || errno != EINTR) return false;
    }
  }
  if (errno == ESRCH) return true;
  if (errno != ENOSYS) return false;
  // No pidfd_open (Linux < 5.3): nothing to block on, so look in short steps.
  const Clock::time_point deadline = Clock::now() + timeout;
  for (;;) {
    if (ExitedByProcfs(pid)) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace berth::process
