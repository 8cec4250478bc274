#include "pkg/oci/gvisor_port_forward.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <thread>

#include "pkg/oci/gvisor_shim.h"  // FindBerthHelper
#include "pkg/oci/runtime_cli.h"  // CleanRuntimeError
#include "pkg/process/spawn.h"

namespace berth::oci {
namespace {

using Clock = std::chrono::steady_clock;

// Whatever is readable on the non-blocking `fd` now (at most 4 KiB).
std::string Drain(int fd) {
  std::string out;
  char buf[1024];
  ssize_t n;
  while (out.size() < 4096 && (n = read(fd, buf, sizeof buf)) > 0) out.append(buf, n);
  return out;
}

}  // namespace

std::string FindGvisorPortRelay() {
  return FindBerthHelper(kGvisorPortRelayName, "BERTH_PORT_RELAY");
}

Status InstallGvisorPortRelay(const std::string& infra_rootfs) {
  const std::string relay = FindGvisorPortRelay();
  if (relay.empty()) {
    return FailedPrecondition(std::string(kGvisorPortRelayName) +
                              " (port-forward into gVisor pods) is not installed beside berthd, "
                              "in /usr/local/libexec/berth or /usr/libexec/berth, and "
                              "BERTH_PORT_RELAY is not set");
  }
  const std::string dst = infra_rootfs + kGvisorPortRelayInPod;
  std::error_code ec;
  std::filesystem::copy_file(relay, dst, std::filesystem::copy_options::overwrite_existing, ec);
  if (ec) return Internal("copy " + relay + " to " + dst + ": " + ec.message());
  if (chmod(dst.c_str(), 0555) != 0) return ErrnoError("chmod " + dst, errno);
  return OkStatus();
}

Result<ScopedFd> DialThroughPortRelay(const std::vector<std::string>& exec_argv,
                                      std::chrono::milliseconds timeout) {
  int pair[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) {
    return ErrnoError("socketpair", errno);
  }
  ScopedFd ours(pair[0]), theirs(pair[1]);
  ScopedFd err_r, err_w;
  BERTH_RETURN_IF_ERROR(MakePipe(err_r, err_w));
  process::SpawnOptions spawn;
  spawn.argv = exec_argv;
  spawn.fds = {{0, theirs.get()}, {1, theirs.get()}, {2, err_w.get()}};
  spawn.new_process_group = true;
  BERTH_ASSIGN_OR_RETURN(process::Child child, process::Spawn(spawn));
  theirs.reset();
  err_w.reset();

  // 1. The relay's first byte says it connected; without it, the runtime
  // exits and stderr says why.
  const Clock::time_point deadline = Clock::now() + timeout;
  char ack = 1;
  ssize_t n = -1;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    pollfd p{ours.get(), POLLIN, 0};
    if (left.count() <= 0 || poll(&p, 1, static_cast<int>(left.count())) == 0) break;
    n = read(ours.get(), &ack, 1);
    if (n < 0 && errno == EINTR) continue;
    break;
  }
  if (n == 1 && ack == '\0') {
    // 2. Connected: the runtime lives as long as the connection; a thread
    // reaps it then (destroying an unreaped Child would kill it now).
    std::thread([c = std::move(child)]() mutable { (void)c.Wait(); }).detach();
    return ours;
  }
  // 3. Not connected: end the runtime if it is still there, then say why.
  Result<std::optional<process::ExitStatus>> ended =
      child.WaitFor(Clock::now() + std::chrono::seconds(5));
  if (ended.ok() && !ended->has_value()) {
    (void)child.SignalGroup(SIGKILL);
    (void)child.Wait();
  }
  (void)SetNonBlocking(err_r.get());
  std::string why = CleanRuntimeError(Drain(err_r.get()));
  if (n == 0 && !why.empty()) return Unavailable(why);
  if (n < 0 && Clock::now() >= deadline) {
    return DeadlineExceeded("the port relay in the gVisor sandbox did not connect within " +
                            std::to_string(timeout.count()) + " ms");
  }
  return Internal("the port relay in the gVisor sandbox failed" +
                  (why.empty() ? std::string() : ": " + why));
}

}  // namespace berth::oci
