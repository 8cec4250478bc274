// WaitProcessGone: waiting for a process that is not our child to end.
#pragma once

#include <sys/types.h>

#include <chrono>

namespace berth::process {

// Waits until the process `pid` (not necessarily our child: conmon, which
// daemonizes, or a container's process) has exited, up to `timeout`. True
// when it is gone, a zombie, or was never there; false when it still runs
// or cannot be watched.
bool WaitProcessGone(pid_t pid, std::chrono::milliseconds timeout);

}  // namespace berth::process
