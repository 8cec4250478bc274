// TakeActivatedSocket on Windows (socket_activation.cc is the Linux one).
// systemd's socket activation is Linux-only: a Windows service opens its own
// listener (berthd's named pipe), so no socket is ever handed over.
#include <cstdlib>
#include <string>

#include "pkg/service_manager/socket_activation.h"

namespace berth::service_manager {
namespace {

// The variable's value, removed from the environment; "" when unset.
std::string TakeEnv(const char* name) {
  const char* value = std::getenv(name);
  std::string out = value ? value : "";
  ::_putenv_s(name, "");  // an empty value removes it on Windows
  return out;
}

}  // namespace

Result<int> TakeActivatedSocket() {
  const std::string pid_value = TakeEnv("LISTEN_PID");
  (void)TakeEnv("LISTEN_FDS");
  (void)TakeEnv("LISTEN_FDNAMES");
  if (pid_value.empty()) return -1;  // none handed over, as on Linux
  return Unimplemented("the socket LISTEN_PID=" + pid_value.substr(0, 40) +
                       " says was handed over: systemd's socket activation is Linux-only; "
                       "on Windows berthd listens on its named pipe itself");
}

}  // namespace berth::service_manager
