#include "pkg/process/run.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <optional>

#include "pkg/fs/scoped_fd.h"
#include "pkg/process/internal.h"
#include "pkg/process/run_end.h"

namespace berth::process {
namespace {

using Clock = std::chrono::steady_clock;

// One output stream being collected, up to a cap.
struct Capture {
  ScopedFd fd;  // our (non-blocking) read end; closed at EOF
  std::string* into;
  bool* truncated;
  size_t limit;

  void ReadAvailable() {
    char buf[16384];
    while (fd.valid()) {
      ssize_t n = read(fd.get(), buf, sizeof(buf));
      if (n > 0) {
        size_t room = into->size() < limit ? limit - into->size() : 0;
        if (static_cast<size_t>(n) > room) *truncated = true;
        into->append(buf, std::min(room, static_cast<size_t>(n)));
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) return;  // come back on the next poll
      fd.reset();                            // EOF, or an error that will not pass
    }
  }
};

// The child's stdin being fed. A socket rather than a pipe: writing to a
// child that stopped reading gives EPIPE through MSG_NOSIGNAL, not a SIGPIPE
// that would kill the daemon.
struct Feed {
  ScopedFd fd;  // our (non-blocking) end; closed once all is written
  std::string_view data;
  size_t written = 0;

  void WriteSome() {
    if (!fd.valid()) return;
    ssize_t n =
        send(fd.get(), data.data() + written, data.size() - written, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) written += static_cast<size_t>(n);
    // Closing is the child's EOF (or it stopped reading, and there is no
    // point in writing more).
    if ((n < 0 && errno != EAGAIN && errno != EINTR) || written == data.size()) fd.reset();
  }
};

}  // namespace

Result<RunResult> RunToCompletion(const RunOptions& options) {
  if (options.argv.empty()) return InvalidArgument("cannot run a process with an empty argv");
  const std::string& argv0 = options.argv[0];
  SpawnOptions spawn;
  static_cast<Command&>(spawn) = options;
  spawn.new_process_group = options.new_process_group;
  RunResult result;

  // 1. The child's ends of stdin, stdout and stderr, and ours.
  Feed feed{ScopedFd(), options.stdin_data};
  ScopedFd in_child;
  if (!options.stdin_data.empty()) {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
      return ErrnoError("socketpair for " + argv0, errno);
    }
    feed.fd.reset(sv[0]);
    in_child.reset(sv[1]);
    spawn.fds.push_back({0, in_child.get()});
  }
  Capture out{ScopedFd(), &result.out, &result.out_truncated, options.stdout_limit};
  Capture err{ScopedFd(), &result.err, &result.err_truncated, options.stderr_limit};
  ScopedFd out_child, err_child;
  BERTH_RETURN_IF_ERROR(MakePipe(out.fd, out_child).WithContext("stdout for " + argv0));
  BERTH_RETURN_IF_ERROR(MakePipe(err.fd, err_child).WithContext("stderr for " + argv0));
  spawn.fds.push_back({1, out_child.get()});
  spawn.fds.push_back({2, err_child.get()});
  for (size_t i = 0; i < options.pass_fds.size(); ++i) {
    spawn.fds.push_back({3 + static_cast<int>(i), options.pass_fds[i]});
  }
  for (const ScopedFd* fd : {&feed.fd, &out.fd, &err.fd}) {
    if (fd->valid()) BERTH_RETURN_IF_ERROR(SetNonBlocking(fd->get()).WithContext(argv0));
  }

  // 2. Start it; only the child holds its ends from now on (so EOF means
  // the child and whatever it left behind have closed them).
  BERTH_ASSIGN_OR_RETURN(Child child, Spawn(spawn));
  in_child.reset();
  out_child.reset();
  err_child.reset();

  // 3. Feed and collect until it exits, overflows or runs out of time.
  const Clock::time_point deadline = Clock::now() + options.timeout;
  const std::optional<Clock::time_point> cancel_deadline = options.cancel.deadline();
  std::optional<ExitStatus> status;
  internal::RunEnd end;
  for (;;) {
    BERTH_ASSIGN_OR_RETURN(std::optional<internal::RunEnd> ended,
                           internal::CheckRunEnd(child, options, result, deadline, status));
    if (ended) {
      end = *ended;
      break;
    }
    const auto now = Clock::now();
    const auto left = deadline - now;
    pollfd fds[4];
    nfds_t n = 0;
    if (child.pidfd() >= 0) fds[n++] = {child.pidfd(), POLLIN, 0};
    if (out.fd.valid()) fds[n++] = {out.fd.get(), POLLIN, 0};
    if (err.fd.valid()) fds[n++] = {err.fd.get(), POLLIN, 0};
    if (feed.fd.valid()) fds[n++] = {feed.fd.get(), POLLOUT, 0};
    // Without a pidfd nothing wakes us when the child exits: look in steps.
    auto wait = std::min<Clock::duration>(left, internal::kCancelCheck);
    if (cancel_deadline) wait = std::min<Clock::duration>(wait, *cancel_deadline - now);
    int wait_ms = internal::PollMs(wait);
    if (child.pidfd() < 0) wait_ms = std::min(wait_ms, 10);
    if (poll(fds, n, wait_ms) < 0 && errno != EINTR) return ErrnoError("poll for " + argv0, errno);
    out.ReadAvailable();
    err.ReadAvailable();
    feed.WriteSome();
  }
  feed.fd.reset();

  // 4. A child that has not ended in time, or whose caller gave up: give
  // on_timeout its chance (to its end: it is cleanup), then kill the child
  // and its group (helpers it started) and reap it.
  BERTH_RETURN_IF_ERROR(internal::EndUnfinishedChild(child, end, options, status));
  // What it wrote before exiting is in the pipes already; helpers it left
  // behind may hold them open, so take what is there and stop.
  out.ReadAvailable();
  err.ReadAvailable();
  return internal::RunOutcome(end, options, *status, std::move(result));
}

}  // namespace berth::process
