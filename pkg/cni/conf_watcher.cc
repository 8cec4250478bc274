#include "pkg/cni/conf_watcher.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

#include <spdlog/spdlog.h>

namespace berth::cni {
namespace {

// What a change in the network's directory looks like.
constexpr uint32_t kDirMask = IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_CLOSE_WRITE |
                              IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR;
// While waiting for the directory (or one of its parents) to be created.
constexpr uint32_t kAncestorMask =
    IN_CREATE | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR;

std::string Parent(const std::string& path) {
  auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

bool IsDir(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

}  // namespace

struct ConfWatcher::Native {
  int inotify_fd = -1;
  int stop_fd = -1;  // eventfd written by Stop()
  int watch = -1;

  ~Native() {
    if (inotify_fd >= 0) close(inotify_fd);
    if (stop_fd >= 0) close(stop_fd);
  }
};

ConfWatcher::ConfWatcher(std::string conf_dir, std::function<void()> on_change)
    : conf_dir_([&] {
        while (conf_dir.size() > 1 && conf_dir.back() == '/') conf_dir.pop_back();
        return conf_dir;
      }()),
      on_change_(std::move(on_change)),
      native_(std::make_unique<Native>()) {}

ConfWatcher::~ConfWatcher() {
  Stop();
}

Status ConfWatcher::Start() {
  if (thread_.joinable()) return FailedPrecondition("CNI conf watcher already started");
  native_->inotify_fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  if (native_->inotify_fd < 0) return ErrnoError("inotify_init1", errno);
  native_->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (native_->stop_fd < 0) return ErrnoError("eventfd", errno);
  Rearm();
  thread_ = std::thread([this] { Run(); });
  return OkStatus();
}

void ConfWatcher::Stop() {
  if (!thread_.joinable()) return;
  uint64_t one = 1;
  if (write(native_->stop_fd, &one, sizeof one) < 0) {
    spdlog::error("CNI conf watcher: cannot signal stop: errno {}", errno);
  }
  thread_.join();
}

void ConfWatcher::Rearm() {
  std::string target = conf_dir_;
  while (!IsDir(target) && target != "/" && target != ".") target = Parent(target);
  uint32_t mask = target == conf_dir_ ? kDirMask : kAncestorMask;
  int wd = inotify_add_watch(native_->inotify_fd, target.c_str(), mask);
  if (wd < 0) {
    // The target vanished between the check and the watch: the next event
    // (or the parent's) will rearm; log so a stuck watcher is visible.
    spdlog::warn("CNI conf watcher: cannot watch {}: errno {}", target, errno);
  }
  Native& n = *native_;
  if (n.watch >= 0 && n.watch != wd) inotify_rm_watch(n.inotify_fd, n.watch);  // may be gone: fine
  n.watch = wd;
}

void ConfWatcher::Run() {
  on_change_();
  alignas(inotify_event) char buf[16384];
  while (true) {
    pollfd fds[2] = {{native_->inotify_fd, POLLIN, 0}, {native_->stop_fd, POLLIN, 0}};
    int n = poll(fds, 2, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      spdlog::error("CNI conf watcher: poll failed: errno {}; stopping", errno);
      return;
    }
    if (fds[1].revents != 0) return;
    // Drain the whole batch; what changed does not matter, only that something did.
    while (read(native_->inotify_fd, buf, sizeof buf) > 0) {
    }
    Rearm();
    on_change_();
  }
}

}  // namespace berth::cni
