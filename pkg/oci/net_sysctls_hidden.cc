#include "pkg/oci/net_sysctls_hidden.h"

#include <sched.h>
#include <sys/mount.h>

#include <cerrno>
#include <thread>

#include "pkg/base/cancel_scope.h"

namespace berth::oci {

Status RunWithNetSysctlsHidden(const std::string& what, const std::function<void()>& body) {
  // unshare(CLONE_NEWNS) changes the calling thread alone, so it happens on
  // a thread of its own; the runtime forked from it inherits the namespace,
  // which goes away with them.
  Status status;
  // The worker stops with the caller's cancellation, as the caller's own
  // children do (the token is per thread).
  std::thread worker([&, cancel = CurrentCancelToken()] {
    CancelScope caller(cancel);
    if (unshare(CLONE_NEWNS) != 0) {
      status = ErrnoError(what + ": unshare mount namespace", errno);
      return;
    }
    // Slave, so that nothing mounted here reaches the host's namespace.
    if (mount(nullptr, "/", nullptr, MS_REC | MS_SLAVE, nullptr) != 0) {
      status = ErrnoError(what + ": make / a slave mount", errno);
      return;
    }
    if (mount("berth-hidden", "/proc/sys/net", "tmpfs",
              MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k,mode=0555") != 0) {
      status = ErrnoError(what + ": hide /proc/sys/net", errno);
      return;
    }
    body();
  });
  worker.join();
  return status;
}

}  // namespace berth::oci
