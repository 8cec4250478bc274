// Running a runtime command with the host's /proc/sys/net hidden from it:
// what Debian 12's runsc needs to start a pod's network (see
// OciRuntime::Start in runtime_cli.cc for why). Linux only by nature: the
// Windows build (net_sysctls_hidden_windows.cc) answers Unimplemented.
#pragma once

#include <functional>
#include <string>

#include "pkg/base/status.h"

namespace berth::oci {

// Runs `body` on a thread of its own inside a private mount namespace where
// /proc/sys/net is an empty read-only tmpfs, and waits for it; a process
// `body` starts inherits that namespace. The thread carries the caller's
// cancellation token. Errors (the namespace or the mount could not be made)
// are prefixed with `what`, and `body` has not run then.
Status RunWithNetSysctlsHidden(const std::string& what, const std::function<void()>& body);

}  // namespace berth::oci
