// conmon_liveness.h on Windows. conmon, the per-container monitor of runc
// containers, is Linux-only: a Windows container's process is watched through
// the Host Compute Service. So no conmon runs here: none is alive (restore
// asks the runtime instead) and there is none to kill.
#include "daemon/conmon_liveness.h"

namespace berth::daemon {

bool ConmonAlive(const std::string& /*run_dir*/) {
  return false;
}

void KillConmon(const std::string& /*run_dir*/) {}

}  // namespace berth::daemon
