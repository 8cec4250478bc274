#include "pkg/oci/exit_file.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>

#include "pkg/base/quote.h"
#include "pkg/fs/dir.h"

namespace berth::oci {
namespace {

using Clock = std::chrono::steady_clock;

// conmon's temporary files carry a ".XXXXXX" suffix; container IDs have no dot.
bool IsExitFileName(std::string_view name) {
  if (name.empty() || name.size() > 128) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

Result<ExitInfo> ReadExitFile(const std::string& exit_dir, const std::string& id) {
  if (!IsExitFileName(id))
    return InvalidArgument("container ID " + QuoteForMessage(id) + " is not valid");
  std::string path = exit_dir + "/" + id;
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    if (errno == ENOENT) return NotFound("no exit file " + path);
    return ErrnoError("open exit file " + path, errno);
  }
  struct stat st {};
  char buf[32] = {};
  ssize_t n = read(fd, buf, sizeof(buf) - 1);
  int err = errno;
  bool stat_ok = fstat(fd, &st) == 0;
  close(fd);
  if (n < 0) return ErrnoError("read exit file " + path, err);
  char* end = nullptr;
  errno = 0;
  long v = strtol(buf, &end, 10);
  if (end == buf || errno != 0 || v < INT_MIN || v > INT_MAX || (*end != '\0' && *end != '\n')) {
    return Internal("exit file " + path + " holds no exit code: " + QuoteForMessage(buf));
  }
  ExitInfo info;
  info.id = id;
  info.exit_code = static_cast<int>(v);
  if (stat_ok) {
    info.finished = std::chrono::system_clock::time_point(
        std::chrono::duration_cast<std::chrono::system_clock::duration>(
            std::chrono::seconds(st.st_mtim.tv_sec) +
            std::chrono::nanoseconds(st.st_mtim.tv_nsec)));
  } else {
    info.finished = std::chrono::system_clock::now();
  }
  return info;
}

Result<ExitInfo> WaitExitFile(const std::string& exit_dir, const std::string& id,
                              std::chrono::milliseconds timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  int ifd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  if (ifd < 0) return ErrnoError("inotify_init1", errno);
  struct Closer {
    int fd;
    ~Closer() { close(fd); }
  } closer{ifd};
  // Watch first, then look: a file written in between is seen either way.
  if (inotify_add_watch(ifd, exit_dir.c_str(), IN_MOVED_TO | IN_CLOSE_WRITE) < 0) {
    return ErrnoError("watch exit dir " + exit_dir, errno);
  }
  for (;;) {
    auto info = ReadExitFile(exit_dir, id);
    // A file caught between create and write reads as empty: wait for its close.
    if (info.ok() ||
        (info.status().code() != Code::kNotFound && info.status().code() != Code::kInternal)) {
      return info;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      return DeadlineExceeded("no exit file for " + id + " in " + exit_dir + " after " +
                              std::to_string(timeout.count()) + "ms");
    }
    pollfd p{ifd, POLLIN, 0};
    int rc = poll(&p, 1, static_cast<int>(left.count()));
    if (rc < 0 && errno != EINTR) return ErrnoError("poll inotify", errno);
    char buf[4096];
    while (read(ifd, buf, sizeof(buf)) > 0) {
    }
  }
}

ExitWatcher::ExitWatcher(std::string exit_dir, Callback callback)
    : exit_dir_(std::move(exit_dir)), callback_(std::move(callback)) {}

ExitWatcher::~ExitWatcher() {
  Stop();
}

Status ExitWatcher::Start() {
  if (thread_.joinable()) return FailedPrecondition("exit watcher already started");
  inotify_fd_ = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  if (inotify_fd_ < 0) return ErrnoError("inotify_init1", errno);
  if (inotify_add_watch(inotify_fd_, exit_dir_.c_str(), IN_MOVED_TO | IN_CLOSE_WRITE) < 0) {
    int err = errno;
    close(inotify_fd_);
    inotify_fd_ = -1;
    return ErrnoError("watch exit dir " + exit_dir_, err);
  }
  stop_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (stop_fd_ < 0) {
    int err = errno;
    close(inotify_fd_);
    inotify_fd_ = -1;
    return ErrnoError("eventfd", err);
  }
  thread_ = std::thread([this] { Run(); });
  return OkStatus();
}

void ExitWatcher::Stop() {
  if (thread_.joinable()) {
    uint64_t one = 1;
    ssize_t n = write(stop_fd_, &one, sizeof(one));
    (void)n;
    thread_.join();
  }
  if (inotify_fd_ >= 0) close(inotify_fd_);
  if (stop_fd_ >= 0) close(stop_fd_);
  inotify_fd_ = stop_fd_ = -1;
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
    pollfd fds[2] = {{inotify_fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
    int rc = poll(fds, 2, -1);
    if (rc < 0 && errno == EINTR) continue;
    if (rc < 0 || (fds[1].revents & POLLIN)) return;
    for (;;) {
      ssize_t n = read(inotify_fd_, buf, sizeof(buf));
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
