// Readiness and stopping notices to the service manager (systemd's notify
// protocol: one datagram of "KEY=VALUE" lines to the unix socket named by
// $NOTIFY_SOCKET). Written here rather than taken from libsystemd, whose
// dependency chain (libgcrypt, lz4, lzma, zstd, ...) costs an idle berthd
// about 1 MB of RSS for two calls.
#pragma once

#include <string_view>

#include "pkg/base/status.h"

namespace berth::service_manager {

// Sends `state` (e.g. "READY=1") when berthd runs under a service manager
// ($NOTIFY_SOCKET set); otherwise does nothing and succeeds. An error names
// the socket and the cause.
Status Notify(std::string_view state);

}  // namespace berth::service_manager
