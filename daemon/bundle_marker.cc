#include "daemon/bundle_marker.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "pkg/fs/atomic_file.h"

namespace berth::daemon {

Status SetMarker(const std::string& bundle_dir, const char* marker) {
  return WriteFileAtomic(bundle_dir + "/" + marker, "", 0600);
}

Status ClearMarker(const std::string& bundle_dir, const char* marker) {
  const std::string path = bundle_dir + "/" + marker;
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return ErrnoError("remove " + path, errno);
  // The unlink must be durable before the caller reports success.
  int dir = ::open(bundle_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return ErrnoError("open " + bundle_dir, errno);
  int rc = ::fsync(dir);
  int err = errno;
  ::close(dir);
  if (rc != 0) return ErrnoError("fsync " + bundle_dir, err);
  return OkStatus();
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
