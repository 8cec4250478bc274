// A pipe between RunToCompletion and its child whose daemon end does
// overlapped I/O, so that one thread can wait on the child, both output
// streams and stdin at once (what poll(2) does on Linux). Anonymous pipes
// cannot do overlapped I/O, so it is a named pipe with a unique name, one
// instance, refused to remote clients. Internal to pkg/process's Windows build.
#pragma once

#include <windows.h>

#include "pkg/base/status.h"
#include "pkg/fs/scoped_fd.h"
#include "pkg/fs/windows/scoped_handle.h"

namespace berth::process::internal {

enum class PipeDirection {
  kToChild,    // the daemon writes, the child reads (stdin)
  kFromChild,  // the child writes, the daemon reads (stdout, stderr)
};

struct OverlappedPipe {
  win::ScopedHandle ours;  // FILE_FLAG_OVERLAPPED
  ScopedFd child_end;      // a C runtime descriptor, for an FdMapping; blocking
};

Result<OverlappedPipe> MakeOverlappedPipe(PipeDirection direction);

}  // namespace berth::process::internal
