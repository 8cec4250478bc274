// Helpers for pkg/cni's integration tests: run host tools without a shell,
// keep a background process alive for the length of a test, talk TCP.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace berth::cni::itest {

struct CmdResult {
  int exit_code = -1;
  std::string out;  // stdout and stderr together
};

// Runs argv (looked up in PATH) to completion.
inline CmdResult RunCmd(const std::vector<std::string>& argv) {
  CmdResult r;
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) return r;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, p[1], 1);
  posix_spawn_file_actions_adddup2(&fa, p[1], 2);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  int rc = posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  close(p[1]);
  if (rc != 0) {
    close(p[0]);
    r.out = "spawn failed";
    return r;
  }
  char buf[4096];
  ssize_t n;
  while ((n = read(p[0], buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR)) {
    if (n > 0) r.out.append(buf, static_cast<size_t>(n));
  }
  close(p[0]);
  int st = 0;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  r.exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  return r;
}

// A process that runs until the object dies (then SIGKILLed and reaped).
class Background {
 public:
  explicit Background(const std::vector<std::string>& argv) {
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    if (posix_spawnp(&pid_, args[0], &fa, nullptr, args.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&fa);
  }
  ~Background() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    int st = 0;
    while (waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
    }
  }
  Background(const Background&) = delete;
  Background& operator=(const Background&) = delete;
  bool started() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
};

// Connects to ip:port and returns what the peer sends before closing; "" on
// failure. Bounded by `timeout`.
inline std::string TcpRead(const std::string& ip, int port,
                           std::chrono::milliseconds timeout = std::chrono::seconds(2)) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return "";
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, ip.c_str(), &addr.sin_addr);
  std::string data;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  auto left = [&] {
    return static_cast<int>(std::max<int64_t>(
        0, std::chrono::duration_cast<std::chrono::milliseconds>(deadline -
                                                                 std::chrono::steady_clock::now())
               .count()));
  };
  int rc = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  if (rc != 0 && errno != EINPROGRESS) {
    close(fd);
    return "";
  }
  pollfd pfd{fd, POLLOUT, 0};
  if (poll(&pfd, 1, left()) != 1) {
    close(fd);
    return "";
  }
  int err = 0;
  socklen_t len = sizeof err;
  getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
  if (err != 0) {
    close(fd);
    return "";
  }
  while (left() > 0) {
    pfd = {fd, POLLIN, 0};
    if (poll(&pfd, 1, left()) != 1) break;
    char buf[256];
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) break;
    data.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return data;
}

// What a connection to 127.0.0.1:`port` inside the network namespace of
// process `pid` reads ("" when refused): proves a listener there still
// serves after the host lost its way to it.
inline std::string TcpReadInNetnsOf(pid_t pid, int port) {
  const std::string script =
      "import socket\n"
      "try:\n"
      "    c = socket.create_connection(('127.0.0.1', " +
      std::to_string(port) +
      "), 5)\n"
      "    print(c.recv(256).decode(), end='')\n"
      "except OSError:\n"
      "    pass\n";
  return RunCmd(
             {"nsenter", "--net=/proc/" + std::to_string(pid) + "/ns/net", "python3", "-c", script})
      .out;
}

}  // namespace berth::cni::itest

namespace berth::cni::itest {

// Splits one `iptables -S` line into arguments ("..." quoting, \" escapes).
inline std::vector<std::string> SplitIptablesLine(const std::string& line) {
  std::vector<std::string> args;
  std::string cur;
  bool quoted = false, have = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quoted && c == '\\' && i + 1 < line.size()) {
      cur += line[++i];
    } else if (c == '"') {
      quoted = !quoted;
      have = true;
    } else if (c == ' ' && !quoted) {
      if (have) args.push_back(cur);
      cur.clear();
      have = false;
    } else {
      cur += c;
      have = true;
    }
  }
  if (have) args.push_back(cur);
  return args;
}

// Test cleanup: deletes every nat/filter rule whose text contains `needle`,
// then the (now empty) chains those rules jumped to.
inline void RemoveIptablesRulesMentioning(const std::string& needle) {
  for (const char* table : {"nat", "filter"}) {
    std::vector<std::string> jump_targets;
    std::string rules = RunCmd({"iptables", "-t", table, "-S"}).out;
    size_t pos = 0;
    while (pos < rules.size()) {
      size_t end = rules.find('\n', pos);
      if (end == std::string::npos) end = rules.size();
      std::string line = rules.substr(pos, end - pos);
      pos = end + 1;
      if (!line.starts_with("-A ") || line.find(needle) == std::string::npos) continue;
      auto args = SplitIptablesLine(line);
      args[0] = "-D";
      for (size_t i = 0; i + 1 < args.size(); ++i) {
        if (args[i] == "-j" && args[i + 1].starts_with("CNI-") &&
            !args[i + 1].starts_with("CNI-HOSTPORT-")) {
          jump_targets.push_back(args[i + 1]);
        }
      }
      std::vector<std::string> cmd = {"iptables", "-t", table};
      cmd.insert(cmd.end(), args.begin(), args.end());
      RunCmd(cmd);
    }
    for (const auto& chain : jump_targets) {
      RunCmd({"iptables", "-t", table, "-F", chain});
      RunCmd({"iptables", "-t", table, "-X", chain});
    }
  }
}

}  // namespace berth::cni::itest
