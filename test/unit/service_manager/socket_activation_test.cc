#include "pkg/service_manager/socket_activation.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

namespace berth::service_manager {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

// Puts a socket of `type` (listening when a stream) on fd 3, as the service
// manager passes it (without close-on-exec), and says so in the environment.
class SocketActivationTest : public ::testing::Test {
 protected:
  void Pass(int type, const std::string& fds = "1") {
    int s = ::socket(AF_UNIX, type, 0);
    ASSERT_GE(s, 0);
    if (type == SOCK_STREAM) {
      sockaddr addr{};
      addr.sa_family = AF_UNIX;  // autobind: an abstract name of the kernel's choice
      ASSERT_EQ(::bind(s, &addr, sizeof(sa_family_t)), 0);
      ASSERT_EQ(::listen(s, 1), 0);
    }
    if (s != 3) {  // the socket may already be fd 3, the lowest free one
      ASSERT_EQ(::dup2(s, 3), 3);
      ::close(s);
    }
    ::setenv("LISTEN_PID", std::to_string(::getpid()).c_str(), 1);
    ::setenv("LISTEN_FDS", fds.c_str(), 1);
    ::setenv("LISTEN_FDNAMES", "berth.socket", 1);
  }
  void TearDown() override { ::close(3); }

  static bool EnvironmentCleared() {
    return !std::getenv("LISTEN_PID") && !std::getenv("LISTEN_FDS") &&
           !std::getenv("LISTEN_FDNAMES");
  }
};

TEST_F(SocketActivationTest, NoListenPidMeansNoSocket) {
  ::unsetenv("LISTEN_PID");
  ::unsetenv("LISTEN_FDS");
  Result<int> fd = TakeActivatedSocket();
  ASSERT_TRUE(fd.ok()) << fd.status().message();
  EXPECT_EQ(*fd, -1);
}

TEST_F(SocketActivationTest, ListeningUnixSocketIsHandedOverCloseOnExec) {
  ASSERT_NO_FATAL_FAILURE(Pass(SOCK_STREAM));
  Result<int> fd = TakeActivatedSocket();
  ASSERT_TRUE(fd.ok()) << fd.status().message();
  EXPECT_EQ(*fd, 3);
  EXPECT_TRUE(::fcntl(3, F_GETFD) & FD_CLOEXEC);
  EXPECT_TRUE(EnvironmentCleared());
}

TEST_F(SocketActivationTest, SocketMeantForAnotherProcessIsLeftAlone) {
  ASSERT_NO_FATAL_FAILURE(Pass(SOCK_STREAM));
  ::setenv("LISTEN_PID", std::to_string(::getppid()).c_str(), 1);
  Result<int> fd = TakeActivatedSocket();
  ASSERT_TRUE(fd.ok()) << fd.status().message();
  EXPECT_EQ(*fd, -1);
  EXPECT_FALSE(::fcntl(3, F_GETFD) & FD_CLOEXEC);
  EXPECT_TRUE(EnvironmentCleared());
}

TEST_F(SocketActivationTest, DatagramSocketIsRefusedNamingTheFd) {
  ASSERT_NO_FATAL_FAILURE(Pass(SOCK_DGRAM));
  Result<int> fd = TakeActivatedSocket();
  ASSERT_FALSE(fd.ok());
  EXPECT_EQ(fd.status().code(), Code::kInvalidArgument);
  EXPECT_THAT(fd.status().message(),
              AllOf(HasSubstr("fd 3"), HasSubstr("not a listening unix stream socket")));
}

TEST_F(SocketActivationTest, MoreThanOneSocketIsRefused) {
  ASSERT_NO_FATAL_FAILURE(Pass(SOCK_STREAM, "2"));
  Result<int> fd = TakeActivatedSocket();
  ASSERT_FALSE(fd.ok());
  EXPECT_EQ(fd.status().code(), Code::kInvalidArgument);
  EXPECT_THAT(fd.status().message(), HasSubstr("passed 2 sockets"));
}

TEST_F(SocketActivationTest, MalformedListenFdsIsRefusedNamingIt) {
  ASSERT_NO_FATAL_FAILURE(Pass(SOCK_STREAM, "one"));
  Result<int> fd = TakeActivatedSocket();
  ASSERT_FALSE(fd.ok());
  EXPECT_EQ(fd.status().code(), Code::kInvalidArgument);
  EXPECT_THAT(fd.status().message(), AllOf(HasSubstr("LISTEN_FDS"), HasSubstr("\"one\"")));
  EXPECT_TRUE(EnvironmentCleared());
}

}  // namespace
}  // namespace berth::service_manager
