#include "test/integration/harness/test_registries.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "test/integration/harness/spawn.h"
#include "test/integration/harness/wait_for.h"

namespace berth::testing {
namespace {

constexpr auto kStartTimeout = std::chrono::seconds(120);

}  // namespace

std::map<std::string, std::string> ReadEnvFile(const std::string& path) {
  std::map<std::string, std::string> values;
  std::ifstream in(path);
  EXPECT_TRUE(in) << "missing " << path;
  for (std::string line; std::getline(in, line);) {
    const size_t eq = line.find('=');
    if (eq != std::string::npos) values[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return values;
}

void TestRegistries::Start(const std::string& dir, const std::string& storage) {
  Stop();
  std::vector<std::pair<std::string, std::string>> env;
  if (!storage.empty()) env.emplace_back("BERTH_TEST_REGISTRY_STORAGE", storage);
  // The script closes its stdout and stderr once the registries serve (or
  // it failed and exited): the end of this pipe is the readiness event.
  int out[2];
  ASSERT_EQ(pipe2(out, O_CLOEXEC), 0);
  pid_ =
      Spawn({std::string(BERTH_SOURCE_DIR) + "/hack/test-registry.sh", "serve", dir}, out[1], env);
  close(out[1]);
  std::string output;
  const bool closed = ReadPipe(out[0], kStartTimeout, &output) == PipeRead::kClosed;
  close(out[0]);
  ASSERT_GT(pid_, 0) << "could not fork test-registry.sh";
  ASSERT_TRUE(closed) << "test-registry.sh serve " << dir << " not serving after "
                      << kStartTimeout.count() << "s:\n"
                      << output;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    pid_ = -1;
    FAIL() << "test-registry.sh serve " << dir << " exited while starting:\n" << output;
  }
  values_ = ReadEnvFile(dir + "/registry.env");
}

void TestRegistries::Stop() {
  if (pid_ <= 0) return;
  kill(-pid_, SIGTERM);
  int status = 0;
  if (!WaitPid(pid_, &status, std::chrono::seconds(30))) {
    ADD_FAILURE() << "test-registry.sh serve did not stop within 30s of SIGTERM";
    kill(-pid_, SIGKILL);
    waitpid(pid_, &status, 0);
  }
  pid_ = -1;
}

void PythonTestServer::Start(const std::string& script, const std::vector<std::string>& args,
                             const std::string& port_file) {
  Stop();
  std::vector<std::string> argv = {"/usr/bin/python3", script};
  argv.insert(argv.end(), args.begin(), args.end());
  const int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
  pid_ = Spawn(argv, devnull);
  close(devnull);
  ASSERT_GT(pid_, 0) << "could not fork " << script;
  // The script renames the port file into place once it listens; there is
  // no other sign to wait for.
  ASSERT_TRUE(WaitFor([&] { return std::filesystem::exists(port_file); }, std::chrono::seconds(20)))
      << script << " did not start";
  std::string port;
  ASSERT_TRUE(std::ifstream(port_file) >> port) << script << " wrote no port";
  address_ = "127.0.0.1:" + port;
}

void PythonTestServer::Stop() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

}  // namespace berth::testing
