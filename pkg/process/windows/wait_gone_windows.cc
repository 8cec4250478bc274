// WaitProcessGone on Windows: a process handle is signalled once the process
// has exited (wait_gone.cc is the Linux one).
#include <windows.h>

#include <algorithm>

#include "pkg/fs/windows/scoped_handle.h"
#include "pkg/process/wait_gone.h"

namespace berth::process {

bool WaitProcessGone(pid_t pid, std::chrono::milliseconds timeout) {
  if (pid <= 0) return true;
  HANDLE h = OpenProcess(SYNCHRONIZE, FALSE, static_cast<DWORD>(pid));
  // No such process (the pid is free again): gone. Anything else (access
  // denied) is a process we cannot watch.
  if (h == nullptr) return GetLastError() == ERROR_INVALID_PARAMETER;
  win::ScopedHandle process(h);
  const auto ms = std::clamp<int64_t>(timeout.count(), 0, INFINITE - 1);
  return WaitForSingleObject(process.get(), static_cast<DWORD>(ms)) == WAIT_OBJECT_0;
}

}  // namespace berth::process
