// systemd socket activation: berthd serves on a listening socket it inherits
// as fd 3 with LISTEN_FDS=1 and LISTEN_PID=<its pid>, as systemd hands it over.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
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
  WriteBerthdConfig({}, dir.path(), dir.Sub("unused.sock"), config);

  int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", sock.c_str());
  ASSERT_EQ(bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(lfd, 16), 0);

  std::string log = dir.Sub("log");
  int out = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  // LISTEN_PID must be berthd's pid: the shell sets its own and execs berthd.
  pid_t pid = Spawn({"/bin/sh", "-c", "LISTEN_PID=$$ exec \"$0\" \"$@\"",
                     BuiltBinary("cmd/berthd/berthd"), "--config", config},
                    out, {{"LISTEN_FDS", "1"}}, {{.child_fd = 3, .parent_fd = lfd}});
  close(out);
  ASSERT_GT(pid, 0);
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
  bool exited = WaitPid(pid, &status, std::chrono::seconds(30));
  if (!exited) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
  }
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
