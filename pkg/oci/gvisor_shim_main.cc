// berth-gvisor-shim: conmon's runtime for gVisor pods (see gvisor_shim.h for
// the why and the protocol). Single-threaded; everything it starts goes
// through pkg/process with an exact descriptor map.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>

#include "pkg/fs/scoped_fd.h"
#include "pkg/oci/gvisor_shim.h"
#include "pkg/process/spawn.h"

namespace berth::oci {
namespace {

constexpr char kContainerTypeAnnotation[] = "io.kubernetes.cri.container-type";

void Die(const std::string& message) {
  std::fprintf(stderr, "%s: %s\n", kGvisorShimName, message.c_str());
  std::fflush(stderr);
  _exit(1);
}

std::vector<std::string> RunscArgv(const ShimArgs& a, const std::vector<std::string>& extra_globals,
                                   const std::string& command,
                                   const std::vector<std::string>& args) {
  std::vector<std::string> argv = {a.runsc};
  argv.insert(argv.end(), a.globals.begin(), a.globals.end());
  argv.insert(argv.end(), extra_globals.begin(), extra_globals.end());
  argv.push_back(command);
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

[[noreturn]] void ExecRunsc(const ShimArgs& a) {
  std::vector<std::string> argv = RunscArgv(a, {}, a.command, a.command_args);
  std::vector<char*> c;
  for (auto& s : argv) c.push_back(s.data());
  c.push_back(nullptr);
  execv(a.runsc.c_str(), c.data());
  Die("exec " + a.runsc + ": " + std::strerror(errno));
  _exit(127);
}

// "container" for a pod's later containers; the pod's first is "sandbox".
std::string ContainerType(const std::string& bundle) {
  std::FILE* f = std::fopen((bundle + "/config.json").c_str(), "re");
  if (f == nullptr) return "";
  std::string text;
  char buf[65536];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) text.append(buf, n);
  std::fclose(f);
  nlohmann::json spec = nlohmann::json::parse(text, nullptr, false);
  if (spec.is_discarded()) return "";
  auto ann = spec.find("annotations");
  if (ann == spec.end() || !ann->is_object()) return "";
  auto t = ann->find(kContainerTypeAnnotation);
  return t != ann->end() && t->is_string() ? t->get<std::string>() : "";
}

// Runs argv with `fds` (child fd -> our fd) and waits; -1 when it could not run.
int RunAndWait(const std::vector<std::string>& argv, std::vector<process::FdMapping> fds) {
  process::SpawnOptions spawn;
  spawn.argv = argv;
  spawn.fds = std::move(fds);
  Result<process::Child> child = process::Spawn(spawn);
  if (!child.ok()) {
    std::fprintf(stderr, "%s: %s\n", kGvisorShimName, child.status().message().c_str());
    return -1;
  }
  Result<process::ExitStatus> st = child->Wait();
  if (!st.ok()) return -1;
  return st->term_signal != 0 ? 128 + st->term_signal : st->exit_code;
}

std::string ReadAll(int fd) {
  std::string out;
  lseek(fd, 0, SEEK_SET);
  char buf[4096];
  for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
  return out;
}

void Report(const ShimArgs& a, const std::string& line) {
  const std::string path = a.bundle + "/" + kGvisorStartResultFifo;
  // Nobody reading (berthd gave up or restarted): nothing to tell.
  ScopedFd fd(open(path.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC));
  if (!fd.valid()) return;
  std::string msg = line + "\n";
  (void)!write(fd.get(), msg.data(), msg.size());
}

// The starter: waits for berthd's word, starts the container on our stdio,
// then lives as long as it does and exits with its status.
[[noreturn]] void Starter(const ShimArgs& a) {
  // A result written after berthd stopped reading must not kill us.
  signal(SIGPIPE, SIG_IGN);
  const std::string fifo = a.bundle + "/" + kGvisorStartFifo;
  // Read-write, so that the fifo never reads end-of-file between writers.
  ScopedFd commands(open(fifo.c_str(), O_RDWR | O_CLOEXEC));
  if (!commands.valid()) _exit(kGvisorShimAbandoned);
  std::string pending;
  for (;;) {
    char buf[64];
    ssize_t n = read(commands.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) _exit(kGvisorShimAbandoned);
    pending.append(buf, static_cast<size_t>(n));
    size_t nl = pending.find('\n');
    if (nl == std::string::npos) continue;
    std::string word = pending.substr(0, nl);
    pending.erase(0, nl + 1);
    if (word == "start") break;
    if (word == "abandon") _exit(kGvisorShimAbandoned);
  }
  commands.reset();

  // runsc's own errors also go to the container's stderr; --log-fd gives
  // them to us apart, for berthd's answer.
  ScopedFd log(open(a.bundle.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600));
  std::vector<std::string> log_flag;
  std::vector<process::FdMapping> fds = {{0, 0}, {1, 1}, {2, 2}};
  if (log.valid()) {
    log_flag.push_back("--log-fd=3");
    fds.push_back({3, log.get()});
  }
  int rc = RunAndWait(RunscArgv(a, log_flag, "start", {a.id}), fds);
  if (rc != 0) {
    std::string why = log.valid() ? RunscLogErrors(ReadAll(log.get())) : "";
    if (why.empty())
      why = rc < 0 ? "could not run " + a.runsc : "exit status " + std::to_string(rc);
    Report(a, "error runsc start " + a.id + ": " + why);
    _exit(kGvisorShimAbandoned);
  }
  log.reset();
  Report(a, "ok");

  // runsc wait prints {"id": ..., "exitStatus": N} once the container ends.
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) != 0) _exit(kGvisorShimAbandoned);
  ScopedFd out_r(pipefd[0]), out_w(pipefd[1]);
  ScopedFd null(open("/dev/null", O_RDWR | O_CLOEXEC));
  process::SpawnOptions wait;
  wait.argv = RunscArgv(a, {}, "wait", {a.id});
  wait.fds = {{1, out_w.get()}, {2, null.get()}};
  Result<process::Child> waiter = process::Spawn(wait);
  out_w.reset();
  if (!waiter.ok()) _exit(kGvisorShimAbandoned);
  std::string text;
  char buf[4096];
  for (ssize_t n; (n = read(out_r.get(), buf, sizeof buf)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  (void)waiter->Wait();
  Result<int> status = ParseRunscWaitOutput(text);
  _exit(status.ok() ? *status : kGvisorShimAbandoned);
}

int CreateWithStarter(const ShimArgs& a) {
  // 1. The fifos berthd talks to the starter through.
  for (const char* name : {kGvisorStartFifo, kGvisorStartResultFifo}) {
    std::string path = a.bundle + "/" + name;
    unlink(path.c_str());
    if (mkfifo(path.c_str(), 0600) != 0) Die("mkfifo " + path + ": " + std::strerror(errno));
  }

  // 2. runsc create, on our stdio (runsc reports its errors there to conmon).
  int rc = RunAndWait(RunscArgv(a, {}, "create", a.command_args), {{0, 0}, {1, 1}, {2, 2}});
  if (rc != 0) {
    for (const char* name : {kGvisorStartFifo, kGvisorStartResultFifo}) {
      unlink((a.bundle + "/" + name).c_str());
    }
    return rc < 0 ? 1 : rc;
  }

  // 3. The starter, in the container's place: conmon reaps it (it is
  // conmon's subreaped grandchild once we exit) and holds its stdio.
  pid_t pid = fork();
  if (pid < 0) Die("fork: " + std::string(std::strerror(errno)));
  if (pid == 0) {
    Starter(a);
  }
  std::string tmp = a.pid_file + ".shim";
  ScopedFd f(open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  std::string text = std::to_string(pid);
  if (!f.valid() || write(f.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size()) ||
      !f.Close().ok() || rename(tmp.c_str(), a.pid_file.c_str()) != 0) {
    kill(pid, SIGKILL);
    Die("write pid file " + a.pid_file + ": " + std::strerror(errno));
  }
  return 0;
}

}  // namespace
}  // namespace berth::oci

int main(int argc, char** argv) {
  using namespace berth::oci;
  berth::Result<ShimArgs> a = ParseShimArgs(std::vector<std::string>(argv, argv + argc));
  if (!a.ok()) {
    std::fprintf(stderr, "%s\n", a.status().message().c_str());
    return 2;
  }
  if (a->command != "create" || ContainerType(a->bundle) != "container") ExecRunsc(*a);
  return CreateWithStarter(*a);
}
