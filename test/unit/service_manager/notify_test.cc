#include "pkg/service_manager/notify.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <string>

#include "pkg/fs/scoped_fd.h"
#include "pkg/fs/temp_dir.h"

namespace berth::service_manager {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

// A datagram socket bound at `path` ('@' first: abstract), as the service manager listens.
ScopedFd BoundDatagramSocket(const std::string& path) {
  ScopedFd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.data(), path.size());
  if (path[0] == '@') addr.sun_path[0] = '\0';
  const socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size());
  EXPECT_EQ(::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), len), 0) << std::strerror(errno);
  return fd;
}

// The next datagram on `fd`, without waiting (the send has completed by then).
std::string Received(int fd) {
  char buf[256];
  ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
  return n < 0 ? "<nothing: " + std::string(std::strerror(errno)) + ">" : std::string(buf, n);
}

TEST(NotifyTest, WithoutNotifySocketDoesNothing) {
  ::unsetenv("NOTIFY_SOCKET");
  EXPECT_TRUE(Notify("READY=1").ok());
}

TEST(NotifyTest, SendsTheStateToThePathSocket) {
  Result<TempDir> dir = TempDir::Create("/tmp", "berth-notify-");
  ASSERT_TRUE(dir.ok()) << dir.status().message();
  const std::string path = dir->path() + "/notify.sock";
  ScopedFd listener = BoundDatagramSocket(path);
  ::setenv("NOTIFY_SOCKET", path.c_str(), 1);
  Status s = Notify("READY=1");
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(Received(listener.get()), "READY=1");
  ASSERT_TRUE(Notify("STOPPING=1").ok());
  EXPECT_EQ(Received(listener.get()), "STOPPING=1");
}

TEST(NotifyTest, SendsTheStateToAnAbstractSocket) {
  const std::string name = "@berth-notify-test-" + std::to_string(::getpid());
  ScopedFd listener = BoundDatagramSocket(name);
  ::setenv("NOTIFY_SOCKET", name.c_str(), 1);
  Status s = Notify("READY=1");
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(Received(listener.get()), "READY=1");
}

TEST(NotifyTest, RelativeAddressIsRefusedNamingIt) {
  ::setenv("NOTIFY_SOCKET", "run/notify.sock", 1);
  Status s = Notify("READY=1");
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_THAT(s.message(), AllOf(HasSubstr("run/notify.sock"), HasSubstr("not an absolute")));
}

TEST(NotifyTest, AbsentSocketIsAnErrorNamingIt) {
  ::setenv("NOTIFY_SOCKET", "/nonexistent/berth-notify.sock", 1);
  Status s = Notify("READY=1");
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(s.message(),
              AllOf(HasSubstr("/nonexistent/berth-notify.sock"), HasSubstr("No such file")));
}

}  // namespace
}  // namespace berth::service_manager
