// Linux build of exit_file.h's watchers: inotify on the exit directory, an
// eventfd to stop (exit_watch_windows.cc is the Windows one).
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>

#include "pkg/fs/dir.h"
#include "pkg/fs/scoped_fd.h"
#include "pkg/oci/exit_file.h"

namespace berth::oci {

struct ExitWatcher::Watch {
  ScopedFd inotify;
  ScopedFd stop;  // eventfd that wakes the thread to stop
};

Result<ExitInfo> WaitExitFile(const std::string& exit_dir, const std::string& id,
                              std::chrono::milliseconds timeout) {
  ScopedFd ifd(inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
  if (!ifd) return ErrnoError("inotify_init1", errno);
  // Watch first, then look: a file written in between is seen either way.
  if (inotify_add_watch(ifd.get(), exit_dir.c_str(), IN_MOVED_TO | IN_CLOSE_WRITE) < 0) {
    return ErrnoError("watch exit dir " + exit_dir, errno);
  }
  return internal::WaitExitFileWith(exit_dir, id, timeout,
                                    [&](std::chrono::milliseconds left) -> Status {
                                      pollfd p{ifd.get(), POLLIN, 0};
                                      int rc = poll(&p, 1, static_cast<int>(left.count()));
                                      if (rc < 0 && errno != EINTR)
                                        return ErrnoError("poll inotify", errno);
                                      char buf[4096];
                                      while (read(ifd.get(), buf, sizeof(buf)) > 0) {
                                      }
                                      return OkStatus();
                                    });
}

void ExitWatcher::WatchDeleter::operator()(Watch* watch) const {
  delete watch;
}

Status ExitWatcher::Start() {
  if (thread_.joinable()) return FailedPrecondition("exit watcher already started");
  auto watch = std::make_unique<Watch>();
  watch->inotify.reset(inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
  if (!watch->inotify) return ErrnoError("inotify_init1", errno);
  if (inotify_add_watch(watch->inotify.get(), exit_dir_.c_str(), IN_MOVED_TO | IN_CLOSE_WRITE) <
      0) {
    return ErrnoError("watch exit dir " + exit_dir_, errno);
  }
  watch->stop.reset(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!watch->stop) return ErrnoError("eventfd", errno);
  watch_.reset(watch.release());
  thread_ = std::thread([this] { Run(); });
  return OkStatus();
}

void ExitWatcher::Stop() {
  if (thread_.joinable()) {
    uint64_t one = 1;
    ssize_t n = write(watch_->stop.get(), &one, sizeof(one));
    (void)n;
    thread_.join();
  }
  watch_.reset();
}

void ExitWatcher::Run() {
  // Report what is already there (the watch exists, so nothing is missed;
  // a file may be reported twice, which callers treat as idempotent).
  for (const std::string& name : ListDirOrEmpty(exit_dir_)) {
    if (!IsExitFileName(name)) continue;
    auto info = ReadExitFile(exit_dir_, name);
    if (info.ok()) callback_(*info);
  }
  alignas(inotify_event) char buf[8192];
  for (;;) {
    pollfd fds[2] = {{watch_->inotify.get(), POLLIN, 0}, {watch_->stop.get(), POLLIN, 0}};
    int rc = poll(fds, 2, -1);
    if (rc < 0 && errno == EINTR) continue;
    if (rc < 0 || (fds[1].revents & POLLIN)) return;
    for (;;) {
      ssize_t n = read(watch_->inotify.get(), buf, sizeof(buf));
      if (n <= 0) break;
      for (char* p = buf; p < buf + n;) {
        auto* ev = reinterpret_cast<inotify_event*>(p);
        p += sizeof(inotify_event) + ev->len;
        if (ev->len == 0 || !IsExitFileName(ev->name)) continue;
        auto info = ReadExitFile(exit_dir_, ev->name);
        if (info.ok()) callback_(*info);
      }
    }
  }
}

}  // namespace berth::oci
