// Helpers for the network integration tests: talk TCP to a pod, from the host
// or inside its network namespace, and clear the iptables rules a test's
// pods may have left. Processes start through the harness (harness/spawn.h).
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <string>
#include <vector>

#include "test/integration/harness/berthd_fixture.h"

namespace berth::cni::itest {

// A listener for inside a pod's network namespace (python3 -c): it greets
// every connection to kPodPort with "hello from pod\n".
inline constexpr int kPodPort = 8080;
inline constexpr char kListener[] =
    "import socket\n"
    "s = socket.socket()\n"
    "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
    "s.bind(('0.0.0.0', 8080))\n"
    "s.listen(16)\n"
    "while True:\n"
    "    c, _ = s.accept()\n"
    "    c.sendall(b'hello from pod\\n')\n"
    "    c.close()\n";

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
  return testing::RunCommand({"/usr/bin/nsenter", "--net=/proc/" + std::to_string(pid) + "/ns/net",
                              "/usr/bin/python3", "-c", script})
      .output;
}

}  // namespace berth::cni::itest

namespace berth::cni::itest {

inline constexpr char kIptables[] = "/usr/sbin/iptables";

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
    std::string rules = testing::RunCommand({kIptables, "-t", table, "-S"}).output;
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
      std::vector<std::string> cmd = {kIptables, "-t", table};
      cmd.insert(cmd.end(), args.begin(), args.end());
      testing::RunCommand(cmd);
    }
    for (const auto& chain : jump_targets) {
      testing::RunCommand({kIptables, "-t", table, "-F", chain});
      testing::RunCommand({kIptables, "-t", table, "-X", chain});
    }
  }
}

}  // namespace berth::cni::itest
