#include "pkg/ns/pinned_namespaces.h"

#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <vector>

#include "pkg/fs/dir.h"
#include "pkg/fs/scoped_fd.h"
#include "pkg/process/spawn.h"

namespace berth::ns {
namespace {

struct Kind {
  const char* name;  // as in /proc/<pid>/ns/<name>
  int flag;
};
constexpr Kind kNet{"net", CLONE_NEWNET};
constexpr Kind kIpc{"ipc", CLONE_NEWIPC};
constexpr Kind kUts{"uts", CLONE_NEWUTS};

// Guards the one-time setup of <runroot>/ns as a shared mount point.
std::mutex ns_dir_mu;

bool ValidPodId(const std::string& id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

bool ValidHostname(const std::string& h) {
  if (h.empty() || h.size() > 64) return false;
  for (char c : h) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '.';
    if (!ok) return false;
  }
  return h.front() != '-' && h.front() != '.';
}

bool IsMountRoot(const std::string& path) {
  struct statx stx {};
  if (statx(AT_FDCWD, path.c_str(), AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &stx) != 0) {
    return false;
  }
  return (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
         (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
}

Status EnsureSharedDir(const std::string& dir) {
  std::lock_guard<std::mutex> lock(ns_dir_mu);
  BERTH_RETURN_IF_ERROR(MkdirAll(dir, 0711));
  if (IsMountRoot(dir)) return OkStatus();
  if (mount(dir.c_str(), dir.c_str(), nullptr, MS_BIND, nullptr) != 0) {
    return ErrnoError("bind-mount " + dir + " onto itself", errno);
  }
  if (mount(nullptr, dir.c_str(), nullptr, MS_SHARED, nullptr) != 0) {
    int err = errno;
    umount2(dir.c_str(), MNT_DETACH);
    return ErrnoError("make " + dir + " a shared mount", err);
  }
  return OkStatus();
}

// What the child reports: 0 on success, else the failing step and errno.
struct ChildReport {
  int step = 0;  // 1 unshare, 2 sethostname, 3 loopback
  int err = 0;
};

// The namespace holder's descriptors (Spawn's map puts them there).
constexpr int kReportFd = 3;
constexpr int kReleaseFd = 4;

// The holder's body, in its own process: async-signal-safe calls only.
int HoldNamespaces(int flags, const char* hostname, size_t hostname_len) {
  ChildReport r;
  if (unshare(flags) != 0) {
    r = {1, errno};
  } else if (hostname_len > 0 && sethostname(hostname, hostname_len) != 0) {
    r = {2, errno};
  } else if (flags & CLONE_NEWNET) {
    // A fresh network namespace has "lo" down; pods expect it up.
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    memcpy(ifr.ifr_name, "lo", 3);
    if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) != 0) {
      r = {3, errno};
    } else {
      ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP | IFF_RUNNING);
      if (ioctl(s, SIOCSIFFLAGS, &ifr) != 0) r = {3, errno};
    }
    if (s >= 0) close(s);
  }
  ssize_t n = write(kReportFd, &r, sizeof(r));
  (void)n;
  // Stay alive until the parent has bind-mounted our namespaces (it closes
  // its end of the release pipe).
  char c;
  while (read(kReleaseFd, &c, 1) < 0 && errno == EINTR) {
  }
  return r.err == 0 ? 0 : 1;
}

const char* StepName(int step) {
  switch (step) {
    case 1:
      return "unshare";
    case 2:
      return "sethostname";
    case 3:
      return "bring up loopback";
  }
  return "unknown step";
}

}  // namespace

Result<PinnedPaths> PinNamespaces(const std::string& runroot, const std::string& pod_id,
                                  const PinRequest& request) {
  if (!ValidPodId(pod_id)) {
    return InvalidArgument("pod ID \"" + pod_id.substr(0, 128) + "\" is not [A-Za-z0-9_-]{1,128}");
  }
  if (!request.hostname.empty() && (!request.uts || !ValidHostname(request.hostname))) {
    return InvalidArgument(request.uts ? "hostname \"" + request.hostname.substr(0, 64) +
                                             "\" is not a valid hostname"
                                       : "a hostname needs a new UTS namespace");
  }
  if (runroot.empty() || runroot[0] != '/') {
    return InvalidArgument("runroot \"" + runroot + "\" is not absolute");
  }
  std::vector<Kind> kinds;
  if (request.net) kinds.push_back(kNet);
  if (request.ipc) kinds.push_back(kIpc);
  if (request.uts) kinds.push_back(kUts);
  PinnedPaths paths;
  if (kinds.empty()) return paths;

  const std::string ns_dir = runroot + "/ns";
  BERTH_RETURN_IF_ERROR(EnsureSharedDir(ns_dir));

  // 1. Create the (empty) mount targets; remember them for the undo.
  std::vector<std::string> created;
  auto undo = [&]() {
    for (const auto& p : created) (void)UnpinNamespace(p);
  };
  int flags = 0;
  for (const Kind& k : kinds) {
    BERTH_RETURN_IF_ERROR(MkdirAll(ns_dir + "/" + k.name, 0711));
    std::string p = PinPath(runroot, k.name, pod_id);
    int fd = open(p.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
    if (fd < 0) {
      int err = errno;
      undo();
      if (err == EEXIST) return AlreadyExists("namespace pin " + p + " exists already");
      return ErrnoError("create namespace pin " + p, err);
    }
    close(fd);
    created.push_back(p);
    flags |= k.flag;
  }

  // 2. A child creates the namespaces and waits while we bind them. It
  // holds only its two pipe ends: this child never execs, so O_CLOEXEC would
  // not keep another pod's pin pipes from it, and holding those would make
  // two concurrent pins wait on each other forever.
  ScopedFd report_r, report_w, release_r, release_w;
  if (Status st = MakePipe(report_r, report_w); !st.ok()) {
    undo();
    return st;
  }
  if (Status st = MakePipe(release_r, release_w); !st.ok()) {
    undo();
    return st;
  }
  process::SpawnOptions holder;
  holder.argv = {"namespace holder for pod " + pod_id};
  holder.fds = {{kReportFd, report_w.get()}, {kReleaseFd, release_r.get()}};
  const char* hostname = request.hostname.c_str();
  const size_t hostname_len = request.uts ? request.hostname.size() : 0;
  Result<process::Child> child =
      process::ForkRun(holder, [=] { return HoldNamespaces(flags, hostname, hostname_len); });
  report_w.reset();
  release_r.reset();
  auto finish_child = [&]() {
    release_w.reset();  // lets the child exit
    if (child.ok()) (void)child->Wait();
  };
  if (!child.ok()) {
    undo();
    return child.status();
  }
  ChildReport r;
  ssize_t n;
  do {
    n = read(report_r.get(), &r, sizeof(r));
  } while (n < 0 && errno == EINTR);
  if (n != sizeof(r)) {
    finish_child();
    undo();
    return Internal("namespace holder for pod " + pod_id + " died before reporting");
  }
  if (r.err != 0) {
    finish_child();
    undo();
    return ErrnoError(std::string("namespace holder for pod ") + pod_id + ": " + StepName(r.step),
                      r.err);
  }

  // 3. Bind each namespace onto its file.
  Status st;
  for (const Kind& k : kinds) {
    std::string src = "/proc/" + std::to_string(child->pid()) + "/ns/" + k.name;
    std::string dst = PinPath(runroot, k.name, pod_id);
    if (mount(src.c_str(), dst.c_str(), nullptr, MS_BIND, nullptr) != 0) {
      st = ErrnoError("bind-mount " + src + " onto " + dst, errno);
      break;
    }
    if (k.flag == CLONE_NEWNET) paths.net = dst;
    if (k.flag == CLONE_NEWIPC) paths.ipc = dst;
    if (k.flag == CLONE_NEWUTS) paths.uts = dst;
  }
  finish_child();
  if (!st.ok()) {
    undo();
    return st;
  }
  return paths;
}

Status UnpinNamespace(const std::string& path) {
  if (path.empty()) return OkStatus();
  // A file can carry more than one mount if something bound it twice; peel
  // them all. EINVAL = not a mount point any more, ENOENT = gone.
  for (int i = 0; i < 16; ++i) {
    if (umount2(path.c_str(), MNT_DETACH | UMOUNT_NOFOLLOW) == 0) continue;
    if (errno == EINVAL || errno == ENOENT) break;
    return ErrnoError("unmount namespace pin " + path, errno);
  }
  if (unlink(path.c_str()) != 0 && errno != ENOENT) {
    return ErrnoError("remove namespace pin " + path, errno);
  }
  return OkStatus();
}

}  // namespace berth::ns
