#include "pkg/oci/conmon.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <nlohmann/json.hpp>

#include "pkg/base/cancel_scope.h"
#include "pkg/base/quote.h"
#include "pkg/fs/scoped_fd.h"
#include "pkg/oci/gvisor_shim.h"
#include "pkg/process/run.h"
#include "pkg/process/wait_gone.h"

namespace berth::oci {
namespace {

using Clock = std::chrono::steady_clock;

// conmon's daemon runs runtime create and then serves the container; once
// create failed it exits on its own, this is how long we give it.
constexpr std::chrono::seconds kConmonExitGrace{5};

Status CheckPath(const char* what, const std::string& p, bool required) {
  if (p.empty() && !required) return OkStatus();
  if (p.empty() || p[0] != '/') {
    return InvalidArgument(std::string(what) + " " + QuoteForMessage(p) + " is not absolute");
  }
  for (char c : p) {
    if (static_cast<unsigned char>(c) < 0x20) {
      return InvalidArgument(std::string(what) + " " + QuoteForMessage(p) +
                             " contains a control character");
    }
  }
  return OkStatus();
}

Status ValidateRequest(const ConmonCreateRequest& r) {
  if (r.id.empty()) return InvalidArgument("conmon create: empty container ID");
  for (char c : r.id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_';
    if (!ok)
      return InvalidArgument("container ID " + QuoteForMessage(r.id) + " is not [A-Za-z0-9_-]");
  }
  BERTH_RETURN_IF_ERROR(CheckPath("bundle", r.bundle, true));
  BERTH_RETURN_IF_ERROR(CheckPath("container pid file", r.container_pidfile, true));
  BERTH_RETURN_IF_ERROR(CheckPath("conmon pid file", r.conmon_pidfile, true));
  BERTH_RETURN_IF_ERROR(CheckPath("log path", r.log_path, true));
  BERTH_RETURN_IF_ERROR(CheckPath("exit dir", r.exit_dir, true));
  BERTH_RETURN_IF_ERROR(CheckPath("persist dir", r.persist_dir, false));
  BERTH_RETURN_IF_ERROR(CheckPath("socket dir", r.socket_dir, false));
  return OkStatus();
}

// Reads the first line from the sync pipe until the deadline or until
// `cancel` is cancelled (its Check status). Returns an empty line with `eof`
// set when the pipe closed first.
Status ReadSyncLine(int fd, Clock::time_point deadline, const CancelToken& cancel,
                    std::string& line, bool& eof) {
  // A cancellation wakes no poll(2): look at the token this often.
  constexpr auto kCancelCheck = std::chrono::milliseconds(25);
  eof = false;
  for (;;) {
    auto nl = line.find('\n');
    if (nl != std::string::npos) {
      line.resize(nl);
      return OkStatus();
    }
    BERTH_RETURN_IF_ERROR(cancel.Check("stopped waiting for the runtime's create"));
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return DeadlineExceeded("timed out");
    pollfd p{fd, POLLIN, 0};
    int rc = poll(&p, 1, static_cast<int>(std::min(left, kCancelCheck).count()));
    if (rc < 0 && errno == EINTR) continue;
    if (rc < 0) return ErrnoError("poll sync pipe", errno);
    if (rc == 0) continue;  // the checks above end the loop
    char buf[4096];
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError("read sync pipe", errno);
    if (n == 0) {
      eof = true;
      return OkStatus();
    }
    line.append(buf, static_cast<size_t>(n));
    if (line.size() > (1 << 20)) return Internal("sync pipe message too long");
  }
}

void KillConmon(pid_t conmon_pid) {
  if (conmon_pid <= 0) return;
  // conmon called setsid(): its pid is its process group, which also holds
  // the runtime it started.
  kill(-conmon_pid, SIGKILL);
  kill(conmon_pid, SIGKILL);
  process::WaitProcessGone(conmon_pid, kConmonExitGrace);
}

Status WriteCtl(const std::string& bundle, const std::string& msg) {
  std::string path = ConmonDriver::CtlFifoPath(bundle);
  // Non-blocking open of a fifo for writing fails (ENXIO) when nobody reads:
  // conmon is gone, and we must not block waiting for it.
  int fd = open(path.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    if (err == ENXIO || err == ENOENT) {
      return FailedPrecondition("no conmon is listening on " + path + " (container not running)");
    }
    return ErrnoError("open " + path, err);
  }
  ssize_t n;
  do {
    n = write(fd, msg.data(), msg.size());
  } while (n < 0 && errno == EINTR);
  int err = errno;
  close(fd);
  if (n != static_cast<ssize_t>(msg.size())) return ErrnoError("write " + path, err);
  return OkStatus();
}

}  // namespace

Result<ConmonCreated> ConmonDriver::Create(const OciRuntime& runtime,
                                           const ConmonCreateRequest& req) const {
  BERTH_RETURN_IF_ERROR(ValidateRequest(req));
  const std::string what = runtime.name() + " create " + req.id;
  if (runtime.config().kind == RuntimeKind::kGvisor && config_.gvisor_shim.empty() &&
      FindGvisorShim().empty()) {
    return FailedPrecondition(what + ": " + kGvisorShimName +
                              " (which lets conmon monitor gVisor containers) is not installed "
                              "beside berthd, in /usr/local/libexec/berth or /usr/libexec/berth, "
                              "and BERTH_GVISOR_SHIM is not set");
  }
  const Clock::time_point deadline = Clock::now() + config_.create_timeout;

  // Anything that fails after conmon may have started runs the runtime's
  // delete: conmon gone is not enough, runtime state may exist. Cleanup runs
  // to its end also when the caller cancelled (that may be why it runs).
  auto delete_runtime_state = [&] {
    UncancellableScope uncancellable;
    (void)runtime.Delete(req.id, /*force=*/true);
  };
  auto cleanup = [&](pid_t conmon_pid) {
    KillConmon(conmon_pid);
    delete_runtime_state();
  };

  // conmon's sync pipe (its result) and start pipe, which it reads as fd 3
  // and 4 (its only other descriptors are stdin, stdout and stderr).
  ScopedFd sync_r, sync_w, start_r, start_w;
  BERTH_RETURN_IF_ERROR(MakePipe(sync_r, sync_w).WithContext("sync pipe for " + what));
  BERTH_RETURN_IF_ERROR(MakePipe(start_r, start_w).WithContext("start pipe for " + what));
  // conmon's only wait on the start pipe is before it forks; we have nothing
  // to do in between (no conmon cgroup yet), so release it right away.
  if (write(start_w.get(), "0", 1) != 1) return ErrnoError("write start pipe for " + what, errno);
  start_w.reset();

  process::RunOptions run;
  run.argv = BuildConmonArgv(config_, runtime, req);
  run.pass_fds = {sync_w.get(), start_r.get()};
  run.extra_env = {"_OCI_SYNCPIPE=3", "_OCI_STARTPIPE=4"};
  run.timeout = config_.create_timeout;
  // The first conmon process exits as soon as it has forked its daemon.
  auto first = process::RunToCompletion(run);
  sync_w.reset();  // from now on EOF on sync_r means conmon's daemon is gone
  start_r.reset();
  if (!first.ok()) {
    // Killed before it exited (timeout, cancellation): its daemon may be up.
    if (Result<pid_t> forked = ReadPidFile(req.conmon_pidfile); forked.ok()) KillConmon(*forked);
    delete_runtime_state();
    return first.status().WithContext(what + ": conmon");
  }
  if (!first->success()) {
    delete_runtime_state();
    std::string msg = CleanRuntimeError(first->err);
    return Internal(what + ": conmon failed (" + first->Describe() + ")" +
                    (msg.empty() ? "" : ": " + msg));
  }
  auto conmon_pid = ReadPidFile(req.conmon_pidfile);
  if (!conmon_pid.ok()) {
    delete_runtime_state();
    return conmon_pid.status().WithContext(what);
  }

  std::string line;
  bool eof = false;
  Status st = ReadSyncLine(sync_r.get(), deadline, run.cancel, line, eof);
  if (st.code() == Code::kDeadlineExceeded && !run.cancel.cancelled()) {
    cleanup(*conmon_pid);
    return DeadlineExceeded(what + " did not finish within " +
                            std::to_string(config_.create_timeout.count()) +
                            "ms; conmon and the runtime were killed");
  }
  if (!st.ok()) {
    cleanup(*conmon_pid);
    return st.WithContext(what);
  }
  if (eof && line.empty()) {
    cleanup(*conmon_pid);
    return Internal(what +
                    ": conmon exited without reporting a result (runtime create failed "
                    "without an error message)");
  }
  auto pid = ParseSyncMessage(line, runtime.name(), req.id);
  if (!pid.ok()) {
    // conmon exits by itself after a failed create; make sure it has.
    if (!process::WaitProcessGone(*conmon_pid, kConmonExitGrace)) KillConmon(*conmon_pid);
    delete_runtime_state();
    return pid.status();
  }
  return ConmonCreated{*pid, *conmon_pid};
}

Status ConmonDriver::ReopenLog(const std::string& bundle, const std::string& log_path,
                               std::chrono::milliseconds timeout) {
  // conmon reopens on its own schedule; the caller (the kubelet's log
  // rotation) expects the new file once we answer. Watch the directory before
  // asking, so the creation cannot slip between the request and the watch.
  const std::string dir = log_path.substr(0, log_path.find_last_of('/'));
  ScopedFd watch(inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
  if (!watch.valid()) return ErrnoError("inotify_init1", errno);
  if (inotify_add_watch(watch.get(), dir.c_str(), IN_CREATE | IN_MOVED_TO) < 0) {
    return ErrnoError("watch log directory " + dir, errno);
  }
  BERTH_RETURN_IF_ERROR(WriteCtl(bundle, "2 0 0\n"));
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    struct stat st;
    if (stat(log_path.c_str(), &st) == 0) return OkStatus();
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      return DeadlineExceeded("conmon did not reopen the log " + log_path + " within " +
                              std::to_string(timeout.count()) + " ms");
    }
    pollfd p{watch.get(), POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) > 0) {
      char buf[4096];
      while (read(watch.get(), buf, sizeof buf) > 0) {
      }
    }
  }
}

Status ConmonDriver::ResizeTerminal(const std::string& bundle, uint16_t height, uint16_t width) {
  return WriteCtl(bundle, "1 " + std::to_string(height) + " " + std::to_string(width) + "\n");
}

}  // namespace berth::oci
