// sandbox_spec.h's PrepareInfraRootfs on Linux: the infra container's tiny
// root filesystem, berth-pause and the empty mount points its spec names
// (infra_rootfs_windows.cc says why Windows has none).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "pkg/oci/sandbox_spec.h"

namespace berth::oci {
namespace {

Status WriteAll(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return ErrnoError("write", errno);
    p += w;
    n -= static_cast<size_t>(w);
  }
  return OkStatus();
}

}  // namespace

Status PrepareInfraRootfs(const std::string& dir, const std::string& pause_binary) {
  if (mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
    return ErrnoError("create infra rootfs " + dir, errno);
  }
  for (const char* sub : {"/proc", "/dev", "/sys", "/etc"}) {
    std::string p = dir + sub;
    if (mkdir(p.c_str(), 0755) != 0 && errno != EEXIST) {
      return ErrnoError("create " + p, errno);
    }
  }
  // Placed under a temporary name and renamed, so a crash never leaves a
  // truncated /pause behind.
  std::string tmp = dir + "/.pause.tmp";
  std::string dst = dir + "/pause";
  struct stat binary {};
  if (stat(pause_binary.c_str(), &binary) != 0) {
    return ErrnoError("open infra binary " + pause_binary, errno);
  }
  // A hard link spares every pod a copy of the binary. Only of a root-owned
  // file no one else may write: all pods share its inode (a running binary
  // cannot be written anyway, ETXTBSY). Another filesystem (EXDEV) or any
  // other refusal falls back to the copy.
  if (binary.st_uid == 0 && (binary.st_mode & 07777) == 0755) {
    struct stat placed {};
    if (stat(dst.c_str(), &placed) == 0 && placed.st_dev == binary.st_dev &&
        placed.st_ino == binary.st_ino) {
      return OkStatus();  // linked before (rename onto the same inode would keep tmp)
    }
    if (unlink(tmp.c_str()) != 0 && errno != ENOENT) return ErrnoError("remove " + tmp, errno);
    if (link(pause_binary.c_str(), tmp.c_str()) == 0) {
      if (rename(tmp.c_str(), dst.c_str()) == 0) return OkStatus();
      const int err = errno;
      unlink(tmp.c_str());
      return ErrnoError("rename to " + dst, err);
    }
  }
  int in = open(pause_binary.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) return ErrnoError("open infra binary " + pause_binary, errno);
  int out = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
  if (out < 0) {
    int err = errno;
    close(in);
    return ErrnoError("create " + tmp, err);
  }
  Status st;
  char buf[65536];
  for (;;) {
    ssize_t n = read(in, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      st = ErrnoError("read infra binary " + pause_binary, errno);
      break;
    }
    if (n == 0) break;
    st = WriteAll(out, buf, static_cast<size_t>(n));
    if (!st.ok()) {
      st = st.WithContext("copy infra binary to " + tmp);
      break;
    }
  }
  close(in);
  if (st.ok() && fchmod(out, 0755) != 0) st = ErrnoError("chmod " + tmp, errno);
  if (close(out) != 0 && st.ok()) st = ErrnoError("close " + tmp, errno);
  if (st.ok() && rename(tmp.c_str(), dst.c_str()) != 0) st = ErrnoError("rename to " + dst, errno);
  if (!st.ok()) unlink(tmp.c_str());
  return st;
}

}  // namespace berth::oci
