// Windows build of mountinfo.h's ReadMountInfo (mountinfo_linux.cc is the
// Linux one): Windows has no mount table of this kind; its volumes and their
// mount points are listed by FindFirstVolume and GetVolumePathNamesForVolumeName,
// and berth mounts nothing there (windows/mount_windows.cc).
#include "pkg/fs/mountinfo.h"

namespace berth {

Result<std::vector<MountInfo>> ReadMountInfo() {
  return Unimplemented(
      "read /proc/self/mountinfo: the kernel's mount list is Linux-only; Windows lists "
      "volumes and their mount points instead (GetVolumePathNamesForVolumeName)");
}

}  // namespace berth
