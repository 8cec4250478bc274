// Whether a container's conmon still runs, and stopping one: what restore
// asks of the conmon whose pid file is in an object's run directory.
// conmon.cc's monitor is Linux-only; on Windows (windows/) no conmon ever
// runs, so none is alive and there is none to kill.
#pragma once

#include <string>

namespace berth::daemon {

// Whether the conmon whose pid file is in `run_dir` still runs. conmon lives
// exactly as long as its container, so this answers "is it running?"
// without a runtime call per object (restore of hundreds of objects stays
// fast); the runtime is asked only when conmon is gone.
bool ConmonAlive(const std::string& run_dir);

// Kills a conmon whose pid file is in `run_dir` (it would otherwise go on
// creating or watching a container restore is about to delete), and waits
// up to 5 s for it to be gone.
void KillConmon(const std::string& run_dir);

}  // namespace berth::daemon
