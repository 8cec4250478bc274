// Windows build of remove_tree.h (remove_tree.cc is the Linux one). Its walk
// is relative to directory descriptors, which Windows' C runtime does not
// have; on Windows a tree is removed by path with RemoveAll
// (windows/dir_windows.cc), which never enters a reparse point.
#include "pkg/fs/remove_tree.h"

namespace berth {

Status RemoveTreeAt(int dirfd, const std::string& /*name*/, const std::string& display,
                    const RemoveTreeOptions& /*options*/) {
  return Unimplemented("remove " + display + " relative to directory descriptor " +
                       std::to_string(dirfd) +
                       ": descriptor-relative removal is Linux-only; on Windows RemoveAll "
                       "removes a tree by path");
}

}  // namespace berth
