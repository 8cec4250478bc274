// Pod cgroup limits through cgroupfs files (pod_resources_windows.cc is the
// Windows answer); the path rules are in pod_cgroup_path.cc.
#include "pkg/cgroups/pod_resources.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <linux/magic.h>
#include <cerrno>

namespace berth::cgroups {
namespace {

Status WriteValue(const std::string& file, const std::string& value) {
  int fd = open(file.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return ErrnoError("open cgroup file " + file, errno);
  ssize_t n;
  do {
    n = write(fd, value.data(), value.size());
  } while (n < 0 && errno == EINTR);
  int err = errno;
  close(fd);
  if (n < 0) return ErrnoError("write \"" + value + "\" to " + file, err);
  return OkStatus();
}

Result<std::string> ReadValue(const std::string& file) {
  int fd = open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return ErrnoError("open cgroup file " + file, errno);
  char buf[256];
  ssize_t n;
  do {
    n = read(fd, buf, sizeof buf - 1);
  } while (n < 0 && errno == EINTR);
  int err = errno;
  close(fd);
  if (n < 0) return ErrnoError("read " + file, err);
  std::string s(buf, static_cast<size_t>(n));
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

Status RequireDir(const std::string& dir) {
  struct stat st;
  if (stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return FailedPrecondition("pod cgroup " + dir + " does not exist");
  }
  return OkStatus();
}

Status ApplyV1(const std::string& root, const std::string& path, const Resources& r) {
  if (r.cpu_shares > 0 || r.cpu_quota != 0 || r.cpu_period > 0) {
    const std::string dir = root + "/cpu" + path;
    BERTH_RETURN_IF_ERROR(RequireDir(dir));
    if (r.cpu_shares > 0) {
      BERTH_RETURN_IF_ERROR(WriteValue(dir + "/cpu.shares", std::to_string(r.cpu_shares)));
    }
    // Period before quota: the kernel checks the quota against the period.
    if (r.cpu_period > 0) {
      BERTH_RETURN_IF_ERROR(WriteValue(dir + "/cpu.cfs_period_us", std::to_string(r.cpu_period)));
    }
    if (r.cpu_quota != 0) {
      BERTH_RETURN_IF_ERROR(WriteValue(dir + "/cpu.cfs_quota_us", std::to_string(r.cpu_quota)));
    }
  }
  if (r.memory_limit_bytes > 0) {
    const std::string dir = root + "/memory" + path;
    BERTH_RETURN_IF_ERROR(RequireDir(dir));
    BERTH_RETURN_IF_ERROR(
        WriteValue(dir + "/memory.limit_in_bytes", std::to_string(r.memory_limit_bytes)));
  }
  return OkStatus();
}

Status ApplyV2(const std::string& root, const std::string& path, const Resources& r) {
  const std::string dir = root + path;
  BERTH_RETURN_IF_ERROR(RequireDir(dir));
  if (r.cpu_shares > 0) {
    BERTH_RETURN_IF_ERROR(
        WriteValue(dir + "/cpu.weight", std::to_string(SharesToWeight(r.cpu_shares))));
  }
  if (r.cpu_quota != 0 || r.cpu_period > 0) {
    // cpu.max is "<quota|max> <period>"; keep whichever half is not changing.
    std::string quota = r.cpu_quota < 0 ? "max" : std::to_string(r.cpu_quota);
    std::string period = r.cpu_period > 0 ? std::to_string(r.cpu_period) : "";
    if (r.cpu_quota == 0) {
      BERTH_ASSIGN_OR_RETURN(std::string current, ReadValue(dir + "/cpu.max"));
      quota = current.substr(0, current.find(' '));
    }
    BERTH_RETURN_IF_ERROR(
        WriteValue(dir + "/cpu.max", period.empty() ? quota : quota + " " + period));
  }
  if (r.memory_limit_bytes > 0) {
    BERTH_RETURN_IF_ERROR(WriteValue(dir + "/memory.max", std::to_string(r.memory_limit_bytes)));
  }
  return OkStatus();
}

}  // namespace

Result<Layout> DetectLayout() {
  struct statfs fs;
  if (statfs("/sys/fs/cgroup", &fs) != 0) return ErrnoError("statfs /sys/fs/cgroup", errno);
  Layout layout;
  layout.version = fs.f_type == CGROUP2_SUPER_MAGIC ? Version::kV2 : Version::kV1;
  return layout;
}

Status ApplyResources(const Layout& layout, const std::string& path, const Resources& r) {
  if (!IsCleanCgroupPath(path)) return InvalidArgument("cgroup path \"" + path + "\" is not clean");
  if (r.cpu_shares < 0 || r.cpu_period < 0 || r.cpu_quota < -1 || r.memory_limit_bytes < 0) {
    return InvalidArgument("cgroup resources for " + path + " have a negative value");
  }
  const std::string p = path == "/" ? "" : path;
  return layout.version == Version::kV2 ? ApplyV2(layout.root, p, r) : ApplyV1(layout.root, p, r);
}

}  // namespace berth::cgroups
