// Notify on Windows (notify.cc is the Linux one). systemd's notify protocol
// is Linux-only; on Windows the service host (pkg/platform/windows/
// service_host.h) reports the daemon's state to the service control manager.
#include <cstdlib>
#include <string>

#include "pkg/service_manager/notify.h"

namespace berth::service_manager {

Status Notify(std::string_view state) {
  const char* env = std::getenv("NOTIFY_SOCKET");
  // No $NOTIFY_SOCKET: no systemd to tell, as on Linux.
  if (env == nullptr || env[0] == '\0') return OkStatus();
  return Unimplemented("notifying the service manager of \"" + std::string(state) +
                       "\" on NOTIFY_SOCKET=" + env +
                       ": systemd's notify protocol is Linux-only; on Windows the service "
                       "host reports to the service control manager");
}

}  // namespace berth::service_manager
