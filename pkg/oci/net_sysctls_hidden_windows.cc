// Windows build of net_sysctls_hidden.h (net_sysctls_hidden.cc is the Linux
// one): mount namespaces and /proc/sys are Linux-only, and so is gVisor, the
// one runtime that needs them hidden.
#include "pkg/oci/net_sysctls_hidden.h"

namespace berth::oci {

Status RunWithNetSysctlsHidden(const std::string& what, const std::function<void()>& /*body*/) {
  return Unimplemented(what +
                       ": hiding /proc/sys/net in a private mount namespace is Linux-only "
                       "(gVisor's runsc needs it; Windows runs containers through HCS)");
}

}  // namespace berth::oci
