// A test binary that dies abnormally takes what it started with it: the
// registries, their token server, the counting proxy and berthd get SIGKILL
// when the binary is SIGKILLed (harness/spawn.h; hack/test-registry.sh serve),
// instead of running on with nobody to stop them.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <sstream>

#include "pkg/fs/dir.h"
#include "test/integration/harness/berthd_fixture.h"

namespace berth::testing {
namespace {

std::string ReadProcFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  std::replace(text.begin(), text.end(), '\0', ' ');
  return text;
}

// pid -> "comm: cmdline" of every process whose command line names `dir`.
std::map<pid_t, std::string> ProcessesNaming(const std::string& dir) {
  std::map<pid_t, std::string> found;
  for (const auto& name : ListDirOrEmpty("/proc")) {
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const std::string cmdline = ReadProcFile("/proc/" + name + "/cmdline");
    if (cmdline.find(dir) == std::string::npos) continue;
    std::string comm = ReadProcFile("/proc/" + name + "/comm");
    if (!comm.empty() && comm.back() == '\n') comm.pop_back();
    found[std::stoi(name)] = comm + ": " + cmdline;
  }
  return found;
}

bool AnyNamed(const std::map<pid_t, std::string>& processes, const std::string& comm) {
  return std::any_of(processes.begin(), processes.end(),
                     [&](const auto& p) { return p.second.starts_with(comm + ": "); });
}

TEST(HelpersDieWithTestBinaryTest, SigkilledTestBinaryLeavesNoRegistryNorBerthd) {
  RequireRoot();
  // The held binary makes every directory of its own under this one
  // ($TMPDIR), so its processes are the ones whose command line names it.
  TempDir dir("berth-lifetime");
  const std::string log = dir.Sub("held.log");
  const int out = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  int report[2];
  ASSERT_EQ(pipe2(report, O_CLOEXEC), 0);
  const pid_t held = Spawn({HOLD_HELPERS_BINARY}, out, {{"TMPDIR", dir.path()}},
                           {{.child_fd = 3, .parent_fd = report[1]}});
  close(out);
  close(report[1]);
  ASSERT_GT(held, 0);
  std::string reported;
  const bool ready =
      ReadPipe(report[0], std::chrono::seconds(300), &reported, [](const auto& text) {
        return text.find("ready\n") != std::string::npos;
      }) == PipeRead::kWanted;
  close(report[0]);
  if (!ready) {
    kill(held, SIGKILL);
    waitpid(held, nullptr, 0);
    FAIL() << "the held test binary never reported ready:\n" << ReadProcFile(log);
  }

  // 1. What it started runs: three docker-registry, the token server and
  //    proxy (python3), berthd. Each gets a pidfd now, to see it end.
  const std::map<pid_t, std::string> started = ProcessesNaming(dir.path());
  std::ostringstream listing;
  for (const auto& [pid, what] : started) listing << pid << " " << what << "\n";
  EXPECT_EQ(std::count_if(started.begin(), started.end(),
                          [](const auto& p) { return p.second.starts_with("docker-registry: "); }),
            3)
      << listing.str();
  EXPECT_TRUE(AnyNamed(started, "python3")) << listing.str();
  EXPECT_TRUE(AnyNamed(started, "berthd")) << listing.str();
  std::map<pid_t, int> pidfds;
  for (const auto& [pid, what] : started) {
    const int fd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
    if (fd >= 0) pidfds[pid] = fd;
  }

  // 2. SIGKILL: no test teardown, no destructor runs in the held binary.
  ASSERT_EQ(kill(held, SIGKILL), 0);
  ASSERT_EQ(waitpid(held, nullptr, 0), held);

  // 3. Each of them ends (its pidfd turns readable), within a bound.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  for (const auto& [pid, fd] : pidfds) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd p = {fd, POLLIN, 0};
    EXPECT_EQ(poll(&p, 1, static_cast<int>(std::max<int64_t>(0, left.count()))), 1)
        << "still running after its test binary was killed: " << pid << " " << started.at(pid);
    close(fd);
  }
  const std::map<pid_t, std::string> left = ProcessesNaming(dir.path());
  for (const auto& [pid, what] : left) {
    ADD_FAILURE() << "left running: " << pid << " " << what;
    kill(pid, SIGKILL);  // leave nothing running, even when failing
  }
}

}  // namespace
}  // namespace berth::testing
