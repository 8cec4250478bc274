#include "pkg/oci/host_process_kill.h"

#include <signal.h>

namespace berth::oci {

void KillHostProcess(pid_t pid) {
  if (pid > 1) ::kill(pid, SIGKILL);
}

}  // namespace berth::oci
