#include "pkg/service_manager/socket_activation.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <charconv>
#include <cstdlib>
#include <string>

namespace berth::service_manager {
namespace {

constexpr int kFirstPassedFd = 3;  // the protocol's fixed start (SD_LISTEN_FDS_START)

// The variable's value, removed from the environment; "" when unset.
std::string TakeEnv(const char* name) {
  const char* value = std::getenv(name);
  std::string out = value ? value : "";
  ::unsetenv(name);
  return out;
}

Result<long> ParseCount(const char* name, const std::string& value) {
  long n = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
  if (ec != std::errc() || end != value.data() + value.size() || n < 0) {
    return InvalidArgument(std::string(name) + "=\"" + value.substr(0, 40) +
                           "\" from the service manager is not a number");
  }
  return n;
}

int SocketOption(int fd, int option) {
  int value = -1;
  socklen_t len = sizeof value;
  if (::getsockopt(fd, SOL_SOCKET, option, &value, &len) != 0) return -1;
  return value;
}

}  // namespace

Result<int> TakeActivatedSocket() {
  const std::string pid_value = TakeEnv("LISTEN_PID");
  const std::string fds_value = TakeEnv("LISTEN_FDS");
  (void)TakeEnv("LISTEN_FDNAMES");
  if (pid_value.empty()) return -1;
  BERTH_ASSIGN_OR_RETURN(long pid, ParseCount("LISTEN_PID", pid_value));
  // Meant for another process (one that started berthd without exec'ing it).
  if (pid != ::getpid()) return -1;
  BERTH_ASSIGN_OR_RETURN(long fds, ParseCount("LISTEN_FDS", fds_value));
  if (fds == 0) return -1;
  if (fds > 1) {
    return InvalidArgument("the service manager passed " + std::to_string(fds) +
                           " sockets; berthd expects one");
  }
  const int fd = kFirstPassedFd;
  if (SocketOption(fd, SO_DOMAIN) != AF_UNIX || SocketOption(fd, SO_TYPE) != SOCK_STREAM ||
      SocketOption(fd, SO_ACCEPTCONN) != 1) {
    return InvalidArgument("fd " + std::to_string(fd) +
                           " passed by the service manager is not a listening unix stream socket");
  }
  if (::fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) {
    return ErrnoError("making the activated socket (fd 3) close-on-exec", errno);
  }
  return fd;
}

}  // namespace berth::service_manager
