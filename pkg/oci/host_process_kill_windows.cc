// Windows build of host_process_kill.h (host_process_kill.cc is the Linux
// one): Windows has no signals; TerminateProcess ends the process at once,
// as SIGKILL does.
#include <windows.h>

#include "pkg/oci/host_process_kill.h"

namespace berth::oci {
namespace {

// The exit code a Linux runtime reports for a SIGKILLed process (128 + 9),
// so that whoever reads it sees a kill on either system.
constexpr UINT kKilledExitCode = 137;

}  // namespace

void KillHostProcess(pid_t pid) {
  if (pid <= 1) return;
  HANDLE process = ::OpenProcess(PROCESS_TERMINATE, FALSE, static_cast<DWORD>(pid));
  if (process == nullptr) return;  // gone already, or not ours to end
  ::TerminateProcess(process, kKilledExitCode);
  ::CloseHandle(process);
}

}  // namespace berth::oci
