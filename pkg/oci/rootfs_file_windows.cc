// Windows build of rootfs_file.h (rootfs_file.cc is the Linux one). Reading
// a file with every symlink and ".." resolved inside the rootfs rests on
// openat2's RESOLVE_IN_ROOT or a descriptor-relative walk, both Linux-only;
// a Windows container's users are resolved inside its utility VM or silo by
// HCS, not from its image's files.
#include "pkg/oci/rootfs_file.h"

namespace berth::oci {

Result<std::string> ReadFileInRoot(const std::string& rootfs, const std::string& path,
                                   size_t /*max_size*/, bool /*use_openat2*/) {
  return Unimplemented("read " + path + " inside the container rootfs " + rootfs +
                       ": resolving a path with the rootfs as / is Linux-only (openat2); on "
                       "Windows HCS resolves a container's users inside the container");
}

}  // namespace berth::oci
