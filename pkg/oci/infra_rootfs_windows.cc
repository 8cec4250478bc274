// Windows build of sandbox_spec.h's PrepareInfraRootfs (infra_rootfs.cc is
// the Linux one): berth-pause and its bare rootfs make a Linux pod's infra
// container; a Windows pod's infra container runs a Windows pause image,
// whose layers HCS attaches.
#include "pkg/oci/sandbox_spec.h"

namespace berth::oci {

Status PrepareInfraRootfs(const std::string& dir, const std::string& pause_binary) {
  return Unimplemented("prepare the infra rootfs " + dir + " with " + pause_binary +
                       ": a bare rootfs holding berth-pause, a Linux pod's infra container, is "
                       "Linux-only; on Windows the infra container runs a pause image through "
                       "HCS");
}

}  // namespace berth::oci
