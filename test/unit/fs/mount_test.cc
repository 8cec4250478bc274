// Real mounts (tmpfs, bind): needs root. Label "integration"; fails, never
// skips, without root. Runs in a private mount namespace so nothing it mounts
// can leak to the host, even if it crashes.
#include "pkg/fs/mount.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "pkg/fs/atomic_file.h"
#include "pkg/fs/dir.h"
#include "pkg/fs/mount_id.h"
#include "pkg/fs/mountinfo.h"
#include "pkg/fs/scoped_fd.h"
#include "test/unit/fs/test_util.h"

namespace berth {
namespace {

using ::testing::HasSubstr;
using testing_util::Exists;

// Mount points at or below `prefix`, from /proc/self/mountinfo.
std::vector<std::string> MountsBelow(const std::string& prefix) {
  std::vector<std::string> out;
  Result<std::vector<MountInfo>> mounts = ReadMountInfo();
  if (!mounts.ok()) {
    ADD_FAILURE() << mounts.status().ToString();
    return out;
  }
  for (const MountInfo& m : *mounts) {
    if (m.mount_point == prefix || m.mount_point.rfind(prefix + "/", 0) == 0) {
      out.push_back(m.mount_point);
    }
  }
  return out;
}

class MountTest : public testing_util::TempDirTest {
 protected:
  void SetUp() override {
    ASSERT_EQ(::geteuid(), 0u)
        << "fs_mount_test mounts tmpfs and needs root: run it as root (it is an integration test)";
    // Once per process, while gtest is still single-threaded.
    static const int unshare_errno = [] {
      if (::unshare(CLONE_NEWNS) != 0) return errno;
      if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) return errno;
      return 0;
    }();
    ASSERT_EQ(unshare_errno, 0) << "private mount namespace: " << std::strerror(unshare_errno);
    TempDirTest::SetUp();
  }
  void TearDown() override {
    // Leave nothing mounted even when a test failed half-way, so the temp dir
    // can be removed.
    if (dir_) {
      EXPECT_TRUE(UnmountRecursive(dir_->path()).ok());
    }
  }

  std::string MakeDir(const std::string& name) {
    std::string p = Path(name);
    EXPECT_TRUE(MkdirAll(p).ok());
    return p;
  }
};

TEST_F(MountTest, MountGuardMountsTmpfsAndUnmountsOnScopeExit) {
  const std::string mnt = MakeDir("mnt");
  {
    Result<MountGuard> guard =
        Mount("tmpfs", mnt, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=0755");
    ASSERT_TRUE(guard.ok()) << guard.status().ToString();
    EXPECT_EQ(guard->target(), mnt);
    EXPECT_TRUE(*IsMountPoint(mnt));
    ASSERT_TRUE(WriteFileAtomic(mnt + "/inside", "x").ok());
    EXPECT_THAT(MountsBelow(mnt), ::testing::ElementsAre(mnt));
  }
  EXPECT_FALSE(*IsMountPoint(mnt));
  EXPECT_FALSE(Exists(mnt + "/inside"));  // it lived on the tmpfs
  EXPECT_TRUE(MountsBelow(mnt).empty());
}

TEST_F(MountTest, RestrictedTmpfsIsNosuidNodevNoexecWithTheGivenOptions) {
  const std::string mnt = MakeDir("shm");
  Result<MountGuard> guard = MountRestrictedTmpfs("shm", mnt, "size=1m,mode=1777");
  ASSERT_TRUE(guard.ok()) << guard.status().ToString();
  struct statvfs vfs {};
  ASSERT_EQ(::statvfs(mnt.c_str(), &vfs), 0) << std::strerror(errno);
  EXPECT_EQ(vfs.f_flag & (ST_NOSUID | ST_NODEV | ST_NOEXEC), ST_NOSUID | ST_NODEV | ST_NOEXEC);
  EXPECT_EQ(vfs.f_blocks * vfs.f_frsize, 1u << 20);  // size=1m reached the kernel
  struct stat st {};
  ASSERT_EQ(::stat(mnt.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 01777u);
}

TEST_F(MountTest, ReleaseLeavesMountInPlace) {
  const std::string mnt = MakeDir("mnt");
  std::string released;
  {
    Result<MountGuard> guard = Mount("tmpfs", mnt, "tmpfs");
    ASSERT_TRUE(guard.ok()) << guard.status().ToString();
    released = guard->Release();
    EXPECT_FALSE(guard->active());
  }
  EXPECT_EQ(released, mnt);
  EXPECT_TRUE(*IsMountPoint(mnt));
  ASSERT_TRUE(Unmount(mnt).ok());
  EXPECT_FALSE(*IsMountPoint(mnt));
}

TEST_F(MountTest, BusyMountIsDetachedLazily) {
  const std::string mnt = MakeDir("mnt");
  Result<MountGuard> guard = Mount("tmpfs", mnt, "tmpfs");
  ASSERT_TRUE(guard.ok()) << guard.status().ToString();
  // An open directory fd on the mount keeps it busy.
  ScopedFd busy(::open(mnt.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  ASSERT_TRUE(busy.valid());
  ScopedFd file(::openat(busy.get(), "held", O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
  ASSERT_TRUE(file.valid());
  Status s = guard->Unmount();
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_FALSE(*IsMountPoint(mnt));
  EXPECT_FALSE(guard->active());
}

TEST_F(MountTest, MountOnMissingTargetFailsNamingIt) {
  const std::string missing = Path("missing");
  Result<MountGuard> guard = Mount("tmpfs", missing, "tmpfs");
  ASSERT_FALSE(guard.ok());
  EXPECT_THAT(guard.status().message(), HasSubstr(missing));
  EXPECT_THAT(guard.status().message(), HasSubstr("No such file or directory"));
}

TEST_F(MountTest, RemountAndPropagationFlagsAreRejected) {
  const std::string mnt = MakeDir("mnt");
  EXPECT_EQ(Mount("", mnt, "", MS_REMOUNT).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(Mount("", mnt, "", MS_PRIVATE).status().code(), Code::kInvalidArgument);
  EXPECT_FALSE(*IsMountPoint(mnt));
}

TEST_F(MountTest, ReadOnlyBindMountIsReadOnly) {
  const std::string src = MakeDir("src");
  const std::string dst = MakeDir("dst");
  ASSERT_TRUE(WriteFileAtomic(src + "/f", "from source").ok());
  Result<MountGuard> guard = Mount(src, dst, "", MS_BIND | MS_RDONLY);
  ASSERT_TRUE(guard.ok()) << guard.status().ToString();
  EXPECT_TRUE(*IsMountPoint(dst));  // a bind of the same filesystem still counts
  EXPECT_EQ(*ReadFile(dst + "/f"), "from source");
  Status write = WriteFileAtomic(dst + "/g", "x");
  EXPECT_FALSE(write.ok());
  EXPECT_THAT(write.message(), HasSubstr("Read-only file system"));
}

TEST_F(MountTest, UnmountOfNonMountOrMissingPathSucceeds) {
  const std::string plain = MakeDir("plain");
  EXPECT_TRUE(Unmount(plain).ok());
  EXPECT_TRUE(Unmount(Path("missing")).ok());
}

TEST_F(MountTest, IsMountPoint) {
  const std::string mnt = MakeDir("mnt");
  EXPECT_TRUE(*IsMountPoint("/"));
  EXPECT_TRUE(*IsMountPoint("/proc"));
  EXPECT_FALSE(*IsMountPoint(mnt));
  EXPECT_FALSE(*IsMountPoint(Path("missing")));
  Result<MountGuard> guard = Mount("tmpfs", mnt, "tmpfs");
  ASSERT_TRUE(guard.ok()) << guard.status().ToString();
  EXPECT_TRUE(*IsMountPoint(mnt));
  ASSERT_TRUE(MkdirAll(mnt + "/sub").ok());
  EXPECT_FALSE(*IsMountPoint(mnt + "/sub"));
  // A symlink to a mount point is not one itself.
  ASSERT_EQ(::symlink(mnt.c_str(), Path("link").c_str()), 0);
  EXPECT_FALSE(*IsMountPoint(Path("link")));
}

TEST_F(MountTest, IsMountPointFallbackForOldKernelsAgrees) {
  const std::string mnt = MakeDir("mnt");
  const std::string file = Path("file");
  ASSERT_TRUE(WriteFileAtomic(file, "x").ok());
  ASSERT_TRUE(WriteFileAtomic(Path("src-file"), "y").ok());
  EXPECT_TRUE(*IsMountPointByMountId("/"));
  EXPECT_FALSE(*IsMountPointByMountId(mnt));
  EXPECT_FALSE(*IsMountPointByMountId(file));
  EXPECT_FALSE(*IsMountPointByMountId(Path("missing")));
  Result<MountGuard> tmpfs = Mount("tmpfs", mnt, "tmpfs");
  ASSERT_TRUE(tmpfs.ok()) << tmpfs.status().ToString();
  Result<MountGuard> file_bind = Mount(Path("src-file"), file, "", MS_BIND);
  ASSERT_TRUE(file_bind.ok()) << file_bind.status().ToString();
  EXPECT_TRUE(*IsMountPointByMountId(mnt));
  EXPECT_TRUE(*IsMountPointByMountId(mnt + "/"));
  EXPECT_TRUE(*IsMountPointByMountId(file));  // a file bind mount counts
  EXPECT_TRUE(*IsMountPoint(file));
  ASSERT_EQ(::symlink(mnt.c_str(), Path("link").c_str()), 0);
  EXPECT_FALSE(*IsMountPointByMountId(Path("link")));
}

TEST_F(MountTest, UnmountRecursiveRemovesNestedAndStackedMountsOnly) {
  const std::string root = MakeDir("root");
  const std::string sibling = MakeDir("root-sibling");  // shares the prefix string, not the path
  std::vector<std::string> released;
  auto mount_tmpfs = [&](const std::string& target) {
    Result<MountGuard> g = Mount("tmpfs", target, "tmpfs");
    ASSERT_TRUE(g.ok()) << g.status().ToString();
    released.push_back(g->Release());
  };
  mount_tmpfs(root);
  ASSERT_TRUE(MkdirAll(root + "/a/b").ok());
  mount_tmpfs(root + "/a");
  ASSERT_TRUE(MkdirAll(root + "/a/b/c").ok());
  mount_tmpfs(root + "/a/b");
  mount_tmpfs(root + "/a/b");  // stacked on the same point
  ASSERT_TRUE(MkdirAll(root + "/a/b/c").ok());
  mount_tmpfs(root + "/a/b/c");
  mount_tmpfs(sibling);
  ASSERT_EQ(MountsBelow(root).size(), 5u);

  Status s = UnmountRecursive(root + "/");
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(MountsBelow(root).empty());
  EXPECT_FALSE(*IsMountPoint(root));
  EXPECT_TRUE(*IsMountPoint(sibling));
  EXPECT_TRUE(UnmountRecursive(root).ok());  // nothing left: still fine
  ASSERT_TRUE(Unmount(sibling).ok());
}

TEST_F(MountTest, UnmountRecursiveRejectsRootAndRelativePaths) {
  EXPECT_EQ(UnmountRecursive("/").code(), Code::kInvalidArgument);
  EXPECT_EQ(UnmountRecursive("relative/path").code(), Code::kInvalidArgument);
  EXPECT_EQ(UnmountRecursive("").code(), Code::kInvalidArgument);
}

TEST_F(MountTest, RemoveAllRefusesToEnterMountPoint) {
  const std::string tree = MakeDir("tree");
  const std::string mnt = MakeDir("tree/mnt");
  Result<MountGuard> guard = Mount("tmpfs", mnt, "tmpfs");
  ASSERT_TRUE(guard.ok()) << guard.status().ToString();
  ASSERT_TRUE(WriteFileAtomic(mnt + "/precious", "keep").ok());
  Status s = RemoveAll(tree);
  EXPECT_EQ(s.code(), Code::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr(mnt));
  EXPECT_EQ(*ReadFile(mnt + "/precious"), "keep");
  // A bind mount of the same filesystem is refused too.
  ASSERT_TRUE(guard->Unmount().ok());
  const std::string src = MakeDir("src");
  ASSERT_TRUE(WriteFileAtomic(src + "/precious", "keep").ok());
  Result<MountGuard> bind = Mount(src, mnt, "", MS_BIND);
  ASSERT_TRUE(bind.ok()) << bind.status().ToString();
  EXPECT_EQ(RemoveAll(tree).code(), Code::kFailedPrecondition);
  EXPECT_EQ(*ReadFile(src + "/precious"), "keep");
  // Once unmounted, the removal goes through.
  ASSERT_TRUE(bind->Unmount().ok());
  EXPECT_TRUE(RemoveAll(tree).ok());
  EXPECT_FALSE(Exists(tree));
}

}  // namespace
}  // namespace berth
