// Helpers shared by pkg/process's unit tests.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "pkg/fs/atomic_file.h"
#include "pkg/fs/scoped_fd.h"
#include "pkg/fs/temp_dir.h"
#include "pkg/process/run.h"

namespace berth::process::testing {

// A private directory for the files a test's children write (pid files,
// markers), removed with everything in it at the end of the test.
struct Scratch {
  TempDir dir = std::move(TempDir::Create("/tmp", "berth-process-")).value();
  std::string operator/(const std::string& name) const { return dir.path() + "/" + name; }
};

// RunToCompletion's options for a /bin/sh script.
inline RunOptions Sh(const std::string& script) {
  RunOptions o;
  o.argv = {"/bin/sh", "-c", script};
  return o;
}

struct Pipe {
  ScopedFd read;
  ScopedFd write;
};

// Close-on-exec pipe, as every descriptor berthd opens itself should be.
inline Pipe MakePipe() {
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) std::abort();
  return {ScopedFd(p[0]), ScopedFd(p[1])};
}

// Opens `path` inheritable (no O_CLOEXEC), as a careless library would, at
// a descriptor number of at least `at_least`: a leak check must not be
// fooled by a descriptor the spawn itself places on the same number.
inline ScopedFd OpenInheritable(const std::string& path, int at_least) {
  ScopedFd opened(open(path.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600));
  if (!opened.valid()) std::abort();
  ScopedFd fd(fcntl(opened.get(), F_DUPFD, at_least));
  if (!fd.valid() || (fcntl(fd.get(), F_GETFD) & FD_CLOEXEC) != 0) std::abort();
  return fd;
}

// Reads until EOF.
inline std::string ReadAll(int fd) {
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return out;
    out.append(buf, static_cast<size_t>(n));
  }
}

// Reads one line (without its '\n') a child writes to `fd`; blocks until then.
inline std::string ReadLine(int fd) {
  std::string line;
  char c;
  while (read(fd, &c, 1) == 1 && c != '\n') line += c;
  return line;
}

inline pid_t ReadPidFile(const std::string& path) {
  auto text = ReadFile(path);
  if (!text.ok() || text->empty()) return -1;
  return static_cast<pid_t>(std::stoi(*text));
}

// A process that runs (not gone, not a zombie).
inline bool Running(pid_t pid) {
  auto stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  if (!stat.ok()) return false;
  size_t close = stat->rfind(')');
  return close != std::string::npos && close + 2 < stat->size() && (*stat)[close + 2] != 'Z';
}

// Lists the descriptors of the process running it ("ls -ln": numeric ids,
// so no name-service lookup opens files of its own).
inline constexpr const char* kListFds = "/bin/ls -ln /proc/self/fd";

// Parses kListFds output into fd -> target, leaving out ls's own descriptor
// for the directory it lists.
inline std::map<int, std::string> ParseFdList(const std::string& text) {
  std::map<int, std::string> fds;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    size_t arrow = line.find(" -> ");
    if (arrow == std::string::npos) continue;
    std::string target = line.substr(arrow + 4);
    if (target.starts_with("/proc/") && target.ends_with("/fd")) continue;
    size_t sp = line.rfind(' ', arrow - 1);
    fds[std::stoi(line.substr(sp + 1, arrow - sp - 1))] = target;
  }
  return fds;
}

// Polls `pred` until it holds, for states of other threads or processes
// that no event announces.
inline bool Eventually(const std::function<bool()>& pred,
                       std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

}  // namespace berth::process::testing
