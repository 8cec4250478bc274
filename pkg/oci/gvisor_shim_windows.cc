// Windows build of gvisor_shim.h's berthd side (gvisor_shim.cc is the Linux
// one). gVisor runs only on Linux, and berth's helper programs (this shim,
// berth-port-relay) are Linux programs that no Windows build installs; the
// argument and output parsing (gvisor_shim_args.cc) is shared.
#include <cstdlib>

#include "pkg/oci/gvisor_shim.h"

namespace berth::oci {

std::string FindBerthHelper(const char* /*name*/, const char* env_var) {
  // An explicit path is taken as given; there is nothing to look for beside
  // berthd.exe, as no helper of berth's is built for Windows.
  if (const char* env = getenv(env_var); env != nullptr && *env != '\0') return env;
  return "";
}

std::string FindGvisorShim() {
  return FindBerthHelper(kGvisorShimName, "BERTH_GVISOR_SHIM");
}

Status StartThroughGvisorShim(const std::string& bundle, std::chrono::milliseconds /*timeout*/) {
  return Unimplemented("start the gVisor container in " + bundle +
                       ": gVisor (runsc) is Linux-only; Windows runs containers through HCS");
}

void AbandonGvisorShim(const std::string& /*bundle*/) {
  // No starter can wait in a bundle on Windows: nothing to tell.
}

}  // namespace berth::oci
