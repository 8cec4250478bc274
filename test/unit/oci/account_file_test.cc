// The image's /etc/passwd and /etc/group are hostile (issue 15 items 7, 10):
// a FIFO or device node there is never opened (no blocking, no driver open),
// a link to the host's /etc/shadow never reaches the host file, and invalid
// UTF-8 that would end up in the spec is a clear error naming the file.
// "Never opened" is observed with inotify's IN_OPEN, which a lookup that
// only finds the file (O_PATH) does not trigger.
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "pkg/fs/scoped_fd.h"
#include "pkg/oci/container_spec.h"
#include "pkg/oci/rootfs_file.h"
#include "test/unit/oci/container_test_util.h"

namespace berth::oci {
namespace {

using testing::BaseConfig;
using ::testing::HasSubstr;
using testing::MakeTempDir;
using testing::WriteFile;

// Tells whether anything opened `path` since the watch began.
class OpenWatch {
 public:
  explicit OpenWatch(const std::string& path) : fd_(inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) {
    EXPECT_TRUE(fd_.valid()) << std::strerror(errno);
    EXPECT_GE(inotify_add_watch(fd_.get(), path.c_str(), IN_OPEN), 0)
        << path << ": " << std::strerror(errno);
  }
  bool Opened() {
    alignas(inotify_event) char buf[4096];
    return read(fd_.get(), buf, sizeof(buf)) > 0;
  }

 private:
  ScopedFd fd_;
};

class AccountFileTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    ASSERT_EQ(geteuid(), 0u) << "device nodes need root";
    std::filesystem::create_directories(rootfs_ + "/etc");
  }
  std::string passwd() const { return rootfs_ + "/etc/passwd"; }
  Result<ResolvedUser> ResolveName(const std::string& name) {
    runtime::v1::ContainerConfig config = BaseConfig();
    config.mutable_linux()->mutable_security_context()->set_run_as_username(name);
    return ResolveUser(rootfs_, config, {}, {});
  }
  bool openat2() const { return GetParam(); }

  TempDir dir_ = MakeTempDir();
  std::string rootfs_ = dir_.path() + "/rootfs";
};

TEST_P(AccountFileTest, FifoIsRefusedWithoutBeingOpened) {
  ASSERT_EQ(mkfifo(passwd().c_str(), 0644), 0) << std::strerror(errno);
  OpenWatch watch(passwd());
  auto text = ReadFileInRoot(rootfs_, "/etc/passwd", 1 << 20, openat2());
  ASSERT_FALSE(text.ok());
  EXPECT_EQ(text.status().code(), Code::kInvalidArgument);
  EXPECT_THAT(text.status().message(), HasSubstr("\"/etc/passwd\" in the image is a FIFO"));
  EXPECT_FALSE(watch.Opened());

  auto user = ResolveName("app");
  ASSERT_FALSE(user.ok());
  EXPECT_EQ(user.status().code(), Code::kInvalidArgument);
  EXPECT_THAT(user.status().message(), HasSubstr("/etc/passwd"));
  EXPECT_FALSE(watch.Opened());
}

TEST_P(AccountFileTest, DeviceNodeIsRefusedWithoutBeingOpened) {
  // The null device's numbers: harmless even if it were opened.
  ASSERT_EQ(mknod(passwd().c_str(), S_IFCHR | 0644, makedev(1, 3)), 0) << std::strerror(errno);
  OpenWatch watch(passwd());
  auto user = ResolveName("app");
  ASSERT_FALSE(user.ok());
  EXPECT_EQ(user.status().code(), Code::kInvalidArgument);
  EXPECT_THAT(user.status().message(), HasSubstr("is a character device, not a regular file"));
  EXPECT_FALSE(watch.Opened());

  ASSERT_EQ(unlink(passwd().c_str()), 0);
  WriteFile(passwd(), "app:x:1000:1000::/home/app:/bin/sh\n");
  ASSERT_EQ(mknod((rootfs_ + "/etc/group").c_str(), S_IFBLK | 0644, makedev(7, 0)), 0)
      << std::strerror(errno);
  OpenWatch group_watch(rootfs_ + "/etc/group");
  auto grouped = ResolveName("app");  // the supplementary groups read /etc/group
  ASSERT_FALSE(grouped.ok());
  EXPECT_THAT(grouped.status().message(),
              HasSubstr("\"/etc/group\" in the image is a block device"));
  EXPECT_FALSE(group_watch.Opened());
}

TEST_P(AccountFileTest, LinkToTheHostsShadowNeverReachesIt) {
  ASSERT_EQ(symlink("/etc/shadow", passwd().c_str()), 0);
  OpenWatch host_shadow("/etc/shadow");
  // Resolved inside the rootfs, which has no /etc/shadow: no such user.
  auto user = ResolveName("root");
  ASSERT_FALSE(user.ok());
  EXPECT_EQ(user.status().code(), Code::kInvalidArgument);
  EXPECT_THAT(user.status().message(), HasSubstr("not found in the image's /etc/passwd"));
  EXPECT_FALSE(host_shadow.Opened());
}

TEST_P(AccountFileTest, InvalidUtf8HomeIsFailedPreconditionNamingTheFile) {
  WriteFile(passwd(), "j:x:1000:1000::/home/j\xFCrgen:/bin/sh\n");
  auto user = ResolveName("j");
  ASSERT_FALSE(user.ok());
  EXPECT_EQ(user.status().code(), Code::kFailedPrecondition);
  EXPECT_THAT(user.status().message(), HasSubstr("/etc/passwd"));
  EXPECT_THAT(user.status().message(), HasSubstr("\"/home/j\\xfcrgen\" that is not valid UTF-8"));
}

TEST_P(AccountFileTest, InvalidUtf8ElsewhereInTheFileDoesNotMatter) {
  WriteFile(passwd(),
            "other:x:1001:1001:J\xFCrgen:/home/o:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n");
  auto user = ResolveName("app");
  ASSERT_TRUE(user.ok()) << user.status().ToString();
  EXPECT_EQ(user->home, "/home/app");
}

INSTANTIATE_TEST_SUITE_P(Openat2AndWalk, AccountFileTest, ::testing::Bool());

}  // namespace
}  // namespace berth::oci
