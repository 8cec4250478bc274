#include "pkg/service_manager/notify.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <string>

#include "pkg/fs/scoped_fd.h"

namespace berth::service_manager {

Status Notify(std::string_view state) {
  const char* env = std::getenv("NOTIFY_SOCKET");
  if (env == nullptr || env[0] == '\0') return OkStatus();
  const std::string path = env;
  const std::string what = "notifying the service manager on NOTIFY_SOCKET=" + path;

  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  // A leading '@' names a socket in the abstract namespace (no file; a NUL
  // byte first in sun_path), as systemd passes it in containers.
  if ((path[0] != '/' && path[0] != '@') || path.size() >= sizeof addr.sun_path) {
    return InvalidArgument(what + ": not an absolute or abstract unix socket address");
  }
  std::memcpy(addr.sun_path, path.data(), path.size());
  if (path[0] == '@') addr.sun_path[0] = '\0';
  const socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size());

  ScopedFd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return ErrnoError(what, errno);
  if (::sendto(fd.get(), state.data(), state.size(), MSG_NOSIGNAL,
               reinterpret_cast<const sockaddr*>(&addr), len) < 0) {
    return ErrnoError(what, errno);
  }
  return OkStatus();
}

}  // namespace berth::service_manager
