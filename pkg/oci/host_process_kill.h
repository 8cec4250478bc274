// Killing a host process by its pid, as a runtime's pid file names it (the
// command `runc exec` or `runhcs exec` started). Best effort: a pid that is
// gone is not an error worth reporting to the caller, who kills only to
// stop waiting.
#pragma once

#include <sys/types.h>

namespace berth::oci {

// Linux: SIGKILL (host_process_kill.cc). Windows: TerminateProcess
// (host_process_kill_windows.cc). Pids 0 and 1 are never killed.
void KillHostProcess(pid_t pid);

}  // namespace berth::oci
