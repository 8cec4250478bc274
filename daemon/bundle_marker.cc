#include "daemon/bundle_marker.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "pkg/fs/atomic_file.h"
#include "pkg/fs/dir.h"

namespace berth::daemon {

Status SetMarker(const std::string& bundle_dir, const char* marker) {
  // A marker is an empty file that only has to exist: the directory's fsync
  // makes its entry (and the inode created with it) durable, so there is no
  // content to sync and no temp file to rename, which saves an fsync per
  // creation and removal.
  const std::string path = bundle_dir + "/" + marker;
  BERTH_RETURN_IF_ERROR(CreateEmptyFile(path));
  return FsyncDir(bundle_dir).WithContext("set marker " + path);
}

Status ClearMarker(const std::string& bundle_dir, const char* marker) {
  const std::string path = bundle_dir + "/" + marker;
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return ErrnoError("remove " + path, errno);
  // The unlink must be durable before the caller reports success.
  return FsyncDir(bundle_dir).WithContext("clear marker " + path);
}

Result<std::string> MoveToTrash(const std::string& bundle_dir) {
  const size_t slash = bundle_dir.find_last_of('/');
  const std::string trash =
      bundle_dir.substr(0, slash + 1) + kTrashPrefix + bundle_dir.substr(slash + 1);
  if (::rename(bundle_dir.c_str(), trash.c_str()) != 0) {
    if (errno == ENOENT) return trash;  // already moved (a retried removal)
    return ErrnoError("rename " + bundle_dir, errno);
  }
  return trash;
}

bool HasMarker(const std::string& bundle_dir, const char* marker) {
  return ::access((bundle_dir + "/" + marker).c_str(), F_OK) == 0;
}

}  // namespace berth::daemon
