#include "pkg/fs/scoped_fd.h"

#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <utility>

namespace berth {
namespace {

bool IsOpen(int fd) {
  return ::fcntl(fd, F_GETFD) != -1;
}

TEST(ScopedFdTest, ClosesOnScopeExit) {
  int raw = -1;
  {
    ScopedFd fd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    ASSERT_TRUE(fd.valid());
    raw = fd.get();
    EXPECT_TRUE(IsOpen(raw));
  }
  EXPECT_FALSE(IsOpen(raw));
}

TEST(ScopedFdTest, MoveTransfersAndReleaseGivesUp) {
  ScopedFd a(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  const int raw = a.get();
  ScopedFd b = std::move(a);
  EXPECT_FALSE(a.valid());  // NOLINT(bugprone-use-after-move): checking the moved-from state
  EXPECT_EQ(b.get(), raw);
  int released = b.release();
  EXPECT_FALSE(b.valid());
  EXPECT_TRUE(IsOpen(released));
  ::close(released);
}

TEST(ScopedFdTest, ResetAndCloseCloseTheOldDescriptor) {
  ScopedFd fd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  const int first = fd.get();
  fd.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  ASSERT_NE(fd.get(), first);  // the new one was opened while the old one was still open
  EXPECT_FALSE(IsOpen(first));
  const int second = fd.get();
  EXPECT_TRUE(fd.Close().ok());
  EXPECT_FALSE(fd.valid());
  EXPECT_FALSE(IsOpen(second));
  EXPECT_TRUE(fd.Close().ok());  // closing nothing is fine
}

}  // namespace
}  // namespace berth
