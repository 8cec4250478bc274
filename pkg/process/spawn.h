// Spawn and Child: the one way berthd starts a child process and owns it
// until it has been reaped.
//
// Why our own: berthd is multi-threaded and opens descriptors all the time,
// so a child must receive exactly the descriptors it is given and nothing
// else; it must be waited for and signalled without racing with pid reuse;
// and no early return may leave a zombie or an orphan behind.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "pkg/base/status.h"

namespace berth::process {

// What to run and with which environment.
struct Command {
  // argv[0] is the path executed: no PATH lookup, no shell.
  std::vector<std::string> argv;
  // The base environment ("KEY=value" entries): these when set, otherwise
  // the daemon's own environment.
  std::optional<std::vector<std::string>> env;
  // Laid over the base environment: an entry replaces the base's entry with
  // the same KEY.
  std::vector<std::string> extra_env;
  // The child's working directory; empty keeps the daemon's.
  std::string cwd;
};

// Child descriptor `child_fd` is a duplicate of the parent's `parent_fd`.
struct FdMapping {
  int child_fd;
  int parent_fd;
};

struct SpawnOptions : Command {
  // The child's descriptors, exactly: 0, 1 and 2 when not mapped are
  // /dev/null, and every other descriptor is closed in the child whether or
  // not it is close-on-exec in the parent. The parent's descriptors are not
  // touched (the caller closes its copies). This is why the daemon's own
  // opens need no O_CLOEXEC to keep them from children (std::ifstream opens
  // without it): every child of berthd starts here, and no other code in
  // berthd forks.
  std::vector<FdMapping> fds;
  // The child leads a new process group (SignalGroup reaches its helpers).
  bool new_process_group = false;
  // The child leads a new session (and so a new process group too).
  bool new_session = false;
  // With new_session: this child fd (a terminal, e.g. a pty slave mapped in
  // `fds`) becomes the session's controlling terminal.
  int controlling_tty = -1;
};

class Child;
namespace internal {
// Spawn and ForkRun's common part (spawn.cc).
Result<Child> StartChild(const SpawnOptions& options, const std::function<int()>* body);
}  // namespace internal

// How a child ended.
struct ExitStatus {
  int exit_code = -1;   // when it exited (0-255); -1 when a signal ended it
  int term_signal = 0;  // the signal that ended it; 0 when it exited
  bool success() const { return term_signal == 0 && exit_code == 0; }
  // "exit status 3" / "killed by signal 9".
  std::string Describe() const;
};

// One started child process. Movable, not copyable. It is reaped exactly
// once (by Wait, WaitFor or TryWait; the status is kept and returned again to
// later calls). Destroying (or assigning over) a Child that was never reaped
// kills it with SIGKILL (its process group too, when it leads one) and reaps
// it, so nothing is left behind.
//
// Thread-safety: Signal and SignalGroup may be called from one thread while
// another blocks in Wait; a signal never reaches a process that reused the
// pid, because the child is only reaped under the lock Signal takes (and is
// sent through its pidfd where the kernel has them).
class Child {
 public:
  using Clock = std::chrono::steady_clock;

  Child();  // holds no process
  Child(Child&& other) noexcept;
  Child& operator=(Child&& other) noexcept;
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child();

  bool valid() const { return state_ != nullptr; }
  pid_t pid() const;
  // Readable (POLLIN) once the child has exited; -1 on kernels without
  // pidfd_open. Owned by the Child and open for its whole life.
  int pidfd() const;
  bool leads_process_group() const;

  // Sends `sig` to the child. FailedPrecondition once it has been reaped.
  Status Signal(int sig);
  // Sends `sig` to the child's process group (which outlives the child for
  // as long as its other members run). FailedPrecondition without a group.
  Status SignalGroup(int sig);

  // Blocks until the child has exited, reaps it, returns how it ended.
  Result<ExitStatus> Wait();
  // As Wait, but gives up at `deadline` (nullopt: still running).
  Result<std::optional<ExitStatus>> WaitFor(Clock::time_point deadline);
  // Reaps the child if it has exited; nullopt when it still runs.
  Result<std::optional<ExitStatus>> TryWait();

 private:
  struct State;
  friend Result<Child> internal::StartChild(const SpawnOptions& options,
                                            const std::function<int()>* body);
  explicit Child(std::unique_ptr<State> state);
  void KillAndReap();

  std::unique_ptr<State> state_;
};

// Starts argv[0]. Errors: bad options (InvalidArgument), or the program could
// not be started (Internal naming argv[0] and the errno; the failed child has
// been reaped). Safe to call from any thread: between fork and exec the
// child only makes async-signal-safe calls on data prepared before the fork.
Result<Child> Spawn(const SpawnOptions& options);

// As Spawn, but the child runs `body` instead of a program and exits with
// what it returns (0-255). For work that needs a process of its own but no
// program: a holder of new namespaces, a mount made from another working
// directory. The descriptor map, session, group and cwd apply as for Spawn;
// argv[0] only names the child in messages. `body` runs in a copy of a
// multi-threaded process: async-signal-safe calls only, on data prepared
// before the call (no allocation, no locks, no logging).
Result<Child> ForkRun(const SpawnOptions& options, const std::function<int()>& body);

}  // namespace berth::process
