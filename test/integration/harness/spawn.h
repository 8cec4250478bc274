// Spawn: how the integration tests start every process of theirs (berthd,
// the registries and their token server, proxies, commands), each one tied
// to the test binary's life: it gets SIGKILL when the test binary ends,
// however it ends (an abort, an ASan exit, SIGKILL), so nothing a test
// started outlives an aborted run.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace berth::testing {

// The child's descriptor `child_fd` is a copy of the test's `parent_fd`.
struct InheritedFd {
  int child_fd;
  int parent_fd;
};

// Starts argv (argv[0] is the path run: no PATH lookup, no shell) in its own
// process group with stdout and stderr on `out_fd`, stdin on /dev/null, `env`
// laid over the test's environment and `fds` mapped; returns its pid (-1 when
// fork fails). Any thread may call it and wait for the child.
pid_t Spawn(const std::vector<std::string>& argv, int out_fd,
            const std::vector<std::pair<std::string, std::string>>& env = {},
            const std::vector<InheritedFd>& fds = {});

// A process that runs until the object dies: Spawn'ed with its output
// discarded, then SIGKILLed (its process group too) and reaped.
class SpawnedProcess {
 public:
  explicit SpawnedProcess(const std::vector<std::string>& argv);
  ~SpawnedProcess();
  SpawnedProcess(const SpawnedProcess&) = delete;
  SpawnedProcess& operator=(const SpawnedProcess&) = delete;

  bool started() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
};

// How ReadPipe ended.
enum class PipeRead { kWanted, kClosed, kTimedOut };

// Reads a pipe's read end `fd` (children writing to it), appending to `out`,
// until `wanted(*out)` holds (kWanted; never without `wanted`), every writer
// closed it (kClosed) or `timeout` passed (kTimedOut).
PipeRead ReadPipe(int fd, std::chrono::milliseconds timeout, std::string* out,
                  const std::function<bool(const std::string&)>& wanted = nullptr);

// Waits up to `timeout` for the child `pid` to exit and reaps it (its status
// in `status`); false when it still runs.
bool WaitPid(pid_t pid, int* status, std::chrono::milliseconds timeout);

}  // namespace berth::testing
