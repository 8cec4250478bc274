#include "pkg/oci/gvisor_shim.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>

#include "pkg/base/quote.h"
#include "pkg/fs/scoped_fd.h"

namespace berth::oci {
namespace {

using Clock = std::chrono::steady_clock;

bool IsFifo(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0 && S_ISFIFO(st.st_mode);
}

// Opens the starter's command fifo for writing; ENXIO means nobody reads it.
Result<ScopedFd> OpenCommandFifo(const std::string& bundle) {
  const std::string path = bundle + "/" + kGvisorStartFifo;
  // Non-blocking: with no starter reading, this fails at once instead of
  // waiting for one that will never come.
  ScopedFd fd(open(path.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC));
  if (fd.valid()) return fd;
  int err = errno;
  if (err == ENXIO) {
    return FailedPrecondition("the gVisor start shim of " + bundle +
                              " is gone (its conmon or the shim was killed)");
  }
  return ErrnoError("open " + path, err);
}

Status WriteLine(int fd, const std::string& line, const std::string& what) {
  ssize_t n;
  do {
    n = write(fd, line.data(), line.size());
  } while (n < 0 && errno == EINTR);
  if (n != static_cast<ssize_t>(line.size())) return ErrnoError("write " + what, errno);
  return OkStatus();
}

}  // namespace

std::string FindBerthHelper(const char* name, const char* env_var) {
  if (const char* env = getenv(env_var); env != nullptr && *env != '\0') return env;
  std::error_code ec;
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec).parent_path();
  for (const auto& candidate :
       {self / name, std::filesystem::path("/usr/local/libexec/berth") / name,
        std::filesystem::path("/usr/libexec/berth") / name}) {
    if (access(candidate.c_str(), X_OK) == 0) return candidate.lexically_normal().string();
  }
  return "";
}

std::string FindGvisorShim() {
  return FindBerthHelper(kGvisorShimName, "BERTH_GVISOR_SHIM");
}

Status StartThroughGvisorShim(const std::string& bundle, std::chrono::milliseconds timeout) {
  const std::string fifo = bundle + "/" + kGvisorStartFifo;
  const std::string result_path = bundle + "/" + kGvisorStartResultFifo;
  if (!IsFifo(fifo)) return NotFound("no gVisor start shim waits in " + bundle);
  // The result fifo is opened for reading first, so that the starter's
  // non-blocking open for writing finds a reader.
  ScopedFd result(open(result_path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (!result.valid()) return ErrnoError("open " + result_path, errno);
  BERTH_ASSIGN_OR_RETURN(ScopedFd command, OpenCommandFifo(bundle));
  BERTH_RETURN_IF_ERROR(WriteLine(command.get(), "start\n", fifo));
  command.reset();

  const Clock::time_point deadline = Clock::now() + timeout;
  std::string line;
  for (;;) {
    if (auto nl = line.find('\n'); nl != std::string::npos) {
      line.resize(nl);
      break;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      return DeadlineExceeded("the gVisor start shim of " + bundle + " did not report within " +
                              std::to_string(timeout.count()) + " ms");
    }
    pollfd p{result.get(), POLLIN, 0};
    int rc = poll(&p, 1, static_cast<int>(left.count()));
    if (rc < 0 && errno != EINTR) return ErrnoError("poll " + result_path, errno);
    if (rc <= 0) continue;
    char buf[4096];
    ssize_t n = read(result.get(), buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n < 0) return ErrnoError("read " + result_path, errno);
    if (n == 0) {
      // The starter closed without a whole line: it died while reporting.
      return Internal("the gVisor start shim of " + bundle + " ended without a result" +
                      (line.empty() ? "" : ": " + QuoteForMessage(line)));
    }
    line.append(buf, static_cast<size_t>(n));
    if (line.size() > 64 * 1024) return Internal("the gVisor start shim's result is too long");
  }
  if (line == "ok") return OkStatus();
  if (line.starts_with("error ")) return Internal(line.substr(6));
  return Internal("the gVisor start shim of " + bundle + " answered " + QuoteForMessage(line));
}

void AbandonGvisorShim(const std::string& bundle) {
  if (!IsFifo(bundle + "/" + kGvisorStartFifo)) return;
  Result<ScopedFd> command = OpenCommandFifo(bundle);
  if (command.ok()) (void)WriteLine(command->get(), "abandon\n", kGvisorStartFifo);
}

}  // namespace berth::oci
