// systemd socket activation: berthd serves on a listening socket it inherits
// as fd 3 with LISTEN_FDS=1 and LISTEN_PID=<its pid>, as systemd hands it over.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include "test/integration/harness/berthd_fixture.h"

namespace berth::testing {
namespace {

namespace rt = runtime::v1;

TEST(SocketActivationTest, ServesOnTheInheritedSocket) {
  RequireRoot();
  TempDir dir("berth-activation");
  std::string sock = dir.Sub("activated.sock");
  std::string config = dir.Sub("berth.yaml");
  // `listen` points elsewhere: serving on `sock` proves the inherited fd was used.
  std::ofstream(config) << "root: " << dir.Sub("root") << "\nrunroot: " << dir.Sub("run")
                        << "\nlisten: " << dir.Sub("unused.sock")
                        << "\nshutdown_file: " << dir.Sub("root/shutdown") << "\n";

  int lfd = socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", sock.c_str());
  ASSERT_EQ(bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(lfd, 16), 0);

  std::string berthd = BuiltBinary("cmd/berthd/berthd");
  std::string log = dir.Sub("log");
  pid_t pid = fork();
  if (pid == 0) {
    int out = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(out, 1);
    dup2(out, 2);
    dup2(lfd, 3);
    setenv("LISTEN_FDS", "1", 1);
    setenv("LISTEN_PID", std::to_string(getpid()).c_str(), 1);  // exec keeps the pid
    execl(berthd.c_str(), berthd.c_str(), "--config", config.c_str(), nullptr);
    _exit(127);
  }
  close(lfd);

  auto channel = grpc::CreateChannel("unix://" + sock, grpc::InsecureChannelCredentials());
  bool connected =
      channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(30));
  rt::VersionResponse resp;
  grpc::Status s;
  if (connected) {
    auto stub = rt::RuntimeService::NewStub(channel);
    s = stub->Version(Ctx().get(), rt::VersionRequest(), &resp);
  }
  kill(pid, SIGTERM);
  int status = 0;
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  pollfd p = {pidfd, POLLIN, 0};
  bool exited = poll(&p, 1, 30000) == 1;
  if (!exited) kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  close(pidfd);
  std::ifstream in(log);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());

  ASSERT_TRUE(connected) << text;
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(resp.runtime_name(), "berth");
  EXPECT_TRUE(exited);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << text;
  EXPECT_NE(text.find("socket activated"), std::string::npos) << text;
}

}  // namespace
}  // namespace berth::testing
