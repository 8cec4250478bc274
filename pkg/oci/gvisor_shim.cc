#include "pkg/oci/gvisor_shim.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "pkg/base/quote.h"
#include "pkg/fs/scoped_fd.h"
#include "pkg/oci/runtime_cli.h"  // CleanRuntimeError

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

std::optional<std::string> JsonString(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
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

Result<ShimArgs> ParseShimArgs(const std::vector<std::string>& argv) {
  ShimArgs a;
  size_t i = 1;
  if (argv.size() < 2 || !argv[1].starts_with(kGvisorShimRunscFlag)) {
    return InvalidArgument(std::string(kGvisorShimName) + ": the first argument must be " +
                           kGvisorShimRunscFlag + "<path of runsc>");
  }
  a.runsc = argv[1].substr(std::string_view(kGvisorShimRunscFlag).size());
  if (a.runsc.empty() || a.runsc[0] != '/') {
    return InvalidArgument(std::string(kGvisorShimName) + ": runsc path " +
                           QuoteForMessage(a.runsc) + " is not absolute");
  }
  // Global flags come as single "--flag[=value]" words: the first word that
  // is not a flag is the command.
  for (i = 2; i < argv.size() && argv[i].starts_with("-"); ++i) a.globals.push_back(argv[i]);
  if (i == argv.size()) return InvalidArgument(std::string(kGvisorShimName) + ": no command");
  a.command = argv[i++];
  a.command_args.assign(argv.begin() + static_cast<long>(i), argv.end());
  if (a.command != "create") return a;

  for (size_t k = 0; k < a.command_args.size(); ++k) {
    const std::string& arg = a.command_args[k];
    auto take = [&](const char* flag, std::string* out) -> Result<bool> {
      std::string f = std::string("--") + flag, f1 = std::string("-") + flag;
      for (const std::string& name : {f, f1}) {
        if (arg == name) {
          if (k + 1 >= a.command_args.size()) {
            return InvalidArgument(std::string(kGvisorShimName) + " create: " + name +
                                   " needs a value");
          }
          *out = a.command_args[++k];
          return true;
        }
        if (arg.starts_with(name + "=")) {
          *out = arg.substr(name.size() + 1);
          return true;
        }
      }
      return false;
    };
    bool matched = false;
    std::string ignored;
    for (auto [flag, out] : {std::pair{"bundle", &a.bundle}, std::pair{"pid-file", &a.pid_file},
                             std::pair{"console-socket", &ignored}}) {
      BERTH_ASSIGN_OR_RETURN(bool got, take(flag, out));
      if (got) {
        matched = true;
        break;
      }
    }
    if (matched || arg.starts_with("-")) continue;
    a.id = arg;
  }
  if (a.id.empty())
    return InvalidArgument(std::string(kGvisorShimName) + " create: no container ID");
  if (a.bundle.empty() || a.bundle[0] != '/') {
    return InvalidArgument(std::string(kGvisorShimName) + " create " + a.id +
                           ": --bundle must be an absolute path");
  }
  if (a.pid_file.empty() || a.pid_file[0] != '/') {
    return InvalidArgument(std::string(kGvisorShimName) + " create " + a.id +
                           ": --pid-file must be an absolute path");
  }
  return a;
}

Result<int> ParseRunscWaitOutput(std::string_view text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return Internal("runsc wait printed no JSON object: " + QuoteForMessage(text, 200));
  }
  auto it = j.find("exitStatus");
  if (it == j.end() || !it->is_number_integer()) {
    return Internal("runsc wait printed no exitStatus: " + QuoteForMessage(text, 200));
  }
  long long v = it->get<long long>();
  if (v < 0 || v > 255)
    return Internal("runsc wait exit status " + std::to_string(v) + " is not 0-255");
  return static_cast<int>(v);
}

std::string RunscLogErrors(std::string_view log) {
  std::string out;
  size_t start = 0;
  while (start < log.size()) {
    size_t end = log.find('\n', start);
    if (end == std::string_view::npos) end = log.size();
    std::string_view line = log.substr(start, end - start);
    start = end + 1;
    std::string msg;
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_discarded() && j.is_object()) {
      if (JsonString(j, "level").value_or("") != "error") continue;
      msg = JsonString(j, "msg").value_or("");
    } else {
      // Text format: "E1127 14:50:21.006848 ... message"; only errors count.
      if (line.empty() || line[0] != 'E') continue;
      msg = CleanRuntimeError(line);
    }
    if (msg.empty()) continue;
    if (!out.empty()) out += "; ";
    out += msg;
  }
  return out;
}

}  // namespace berth::oci
