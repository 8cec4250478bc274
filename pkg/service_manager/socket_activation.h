// Socket activation (systemd's protocol): the service manager hands berthd its
// listening socket as fd 3 and says so in LISTEN_PID (berthd's pid) and
// LISTEN_FDS (how many fds). Written here rather than taken from libsystemd
// (see notify.h for why).
#pragma once

#include "pkg/base/status.h"

namespace berth::service_manager {

// The socket berthd was handed, made close-on-exec, or -1 when none was (no
// LISTEN_PID, or one naming another process). The three LISTEN_* variables
// are removed from the environment either way, so children never see them.
// InvalidArgument, naming the variable or the fd and the cause, when the
// variables are malformed, name more than one fd, or fd 3 is not a listening
// unix stream socket.
Result<int> TakeActivatedSocket();

}  // namespace berth::service_manager
