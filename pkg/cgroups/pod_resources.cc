#include "pkg/cgroups/pod_resources.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <linux/magic.h>
#include <cerrno>

namespace berth::cgroups {
namespace {

// Absolute, no empty, "." or ".." components: the path is joined under the
// cgroupfs root and must not leave it.
bool IsCleanAbsolute(const std::string& p) {
  if (p.empty() || p[0] != '/') return false;
  std::string body = p.size() > 1 && p.back() == '/' ? p.substr(1, p.size() - 2) : p.substr(1);
  if (body.empty()) return p == "/";
  size_t start = 0;
  for (;;) {
    size_t end = body.find('/', start);
    std::string part =
        body.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (part.empty() || part == "." || part == "..") return false;
    if (end == std::string::npos) return true;
    start = end + 1;
  }
}

bool IsSliceChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '@' || c == ':';
}

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

Result<std::string> PodCgroupPath(const std::string& parent, bool systemd) {
  if (!systemd) {
    if (!IsCleanAbsolute(parent)) {
      return InvalidArgument("cgroup parent \"" + parent + "\" is not a clean absolute path");
    }
    std::string p = parent;
    if (p.size() > 1 && p.back() == '/') p.pop_back();
    return p;
  }
  bool ok =
      parent.size() > 6 && parent.ends_with(".slice") && parent.find('/') == std::string::npos;
  for (char c : parent) ok = ok && IsSliceChar(c);
  if (!ok) {
    return InvalidArgument("cgroup parent \"" + parent + "\" is not a systemd slice name");
  }
  if (parent == "-.slice") return std::string("/");
  std::string stem = parent.substr(0, parent.size() - 6);
  if (stem.front() == '-' || stem.back() == '-' || stem.find("--") != std::string::npos) {
    return InvalidArgument("cgroup parent \"" + parent + "\" has an empty slice component");
  }
  // Each '-' opens a nested slice: a-b-c.slice → /a.slice/a-b.slice/a-b-c.slice.
  std::string path;
  for (size_t dash = stem.find('-'); dash != std::string::npos; dash = stem.find('-', dash + 1)) {
    path += "/" + stem.substr(0, dash) + ".slice";
  }
  return path + "/" + parent;
}

int64_t SharesToWeight(int64_t shares) {
  if (shares <= 2) return 1;
  if (shares >= 262144) return 10000;
  return 1 + ((shares - 2) * 9999) / 262142;
}

Status ApplyResources(const Layout& layout, const std::string& path, const Resources& r) {
  if (!IsCleanAbsolute(path)) return InvalidArgument("cgroup path \"" + path + "\" is not clean");
  if (r.cpu_shares < 0 || r.cpu_period < 0 || r.cpu_quota < -1 || r.memory_limit_bytes < 0) {
    return InvalidArgument("cgroup resources for " + path + " have a negative value");
  }
  const std::string p = path == "/" ? "" : path;
  return layout.version == Version::kV2 ? ApplyV2(layout.root, p, r) : ApplyV1(layout.root, p, r);
}

}  // namespace berth::cgroups
