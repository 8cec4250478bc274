// conmon_liveness.h on Linux: the pid file, /proc/<pid>/comm, kill(2).
#include "daemon/conmon_liveness.h"

#include <signal.h>

#include <chrono>

#include "pkg/fs/atomic_file.h"
#include "pkg/oci/conmon.h"
#include "pkg/process/wait_gone.h"

namespace berth::daemon {

bool ConmonAlive(const std::string& run_dir) {
  Result<pid_t> pid = oci::ReadPidFile(run_dir + "/conmon.pid");
  if (!pid.ok() || *pid <= 1) return false;
  Result<std::string> comm = ReadFile("/proc/" + std::to_string(*pid) + "/comm");
  return comm.ok() && comm->rfind("conmon", 0) == 0;
}

void KillConmon(const std::string& run_dir) {
  Result<pid_t> pid = oci::ReadPidFile(run_dir + "/conmon.pid");
  if (!pid.ok() || *pid <= 1) return;
  if (!ConmonAlive(run_dir)) return;  // pids are reused: only a conmon is killed
  ::kill(*pid, SIGKILL);
  process::WaitProcessGone(*pid, std::chrono::seconds(5));
}

}  // namespace berth::daemon
