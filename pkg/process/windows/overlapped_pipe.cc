#include "pkg/process/windows/overlapped_pipe.h"

#include <fcntl.h>
#include <io.h>

#include <atomic>
#include <string>

#include "pkg/base/win32_error.h"

namespace berth::process::internal {

Result<OverlappedPipe> MakeOverlappedPipe(PipeDirection direction) {
  static std::atomic<uint64_t> counter{0};
  // Unique to this process and call; FILE_FLAG_FIRST_PIPE_INSTANCE refuses a
  // name another process took first, so no one else's pipe is ever ours.
  const std::wstring name = L"\\\\.\\pipe\\berth-run-" + std::to_wstring(GetCurrentProcessId()) +
                            L"-" + std::to_wstring(counter++) + L"-" +
                            std::to_wstring(GetTickCount64());
  const bool to_child = direction == PipeDirection::kToChild;
  constexpr DWORD kBuffer = 64 * 1024;
  OverlappedPipe pipe;
  pipe.ours.reset(
      CreateNamedPipeW(name.c_str(),
                       (to_child ? PIPE_ACCESS_OUTBOUND : PIPE_ACCESS_INBOUND) |
                           FILE_FLAG_OVERLAPPED | FILE_FLAG_FIRST_PIPE_INSTANCE,
                       PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT | PIPE_REJECT_REMOTE_CLIENTS,
                       1, kBuffer, kBuffer, 0, nullptr));
  if (!pipe.ours) return win::Win32Error("create a pipe for a child", GetLastError());
  // Not inheritable: Spawn hands the child its own copy.
  win::ScopedHandle child_end(CreateFileW(name.c_str(), to_child ? GENERIC_READ : GENERIC_WRITE, 0,
                                          nullptr, OPEN_EXISTING, 0, nullptr));
  if (!child_end) return win::Win32Error("open the child's end of a pipe", GetLastError());
  const int fd = _open_osfhandle(reinterpret_cast<intptr_t>(child_end.get()),
                                 _O_BINARY | (to_child ? _O_RDONLY : _O_WRONLY));
  if (fd < 0) return Internal("give the child's end of a pipe a descriptor: out of descriptors");
  // The descriptor owns the handle now (_close closes it).
  (void)child_end.release();
  pipe.child_end.reset(fd);
  return pipe;
}

}  // namespace berth::process::internal
