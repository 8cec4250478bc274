#include "pkg/image/image_fs_info.h"

#include <sys/stat.h>
#include <unistd.h>

#include "gtest/gtest.h"
#include "test/unit/image/test_tar.h"

namespace berth::image {
namespace {

using namespace berth::image::testing;

TEST(ImageFsInfoTest, HardLinksCountOnceAndBytesGrowWithContent) {
  TempDir dir;
  auto before = ImageFsUsage(dir.path());
  ASSERT_TRUE(before.ok()) << before.status().ToString();
  EXPECT_EQ(before->inodes_used, 1u);  // the directory itself

  ASSERT_EQ(::mkdir((dir / "sub").c_str(), 0755), 0);
  WriteAll(dir / "sub/big", std::string(1 << 20, 'x'));
  ASSERT_EQ(::link((dir / "sub/big").c_str(), (dir / "sub/big-link").c_str()), 0);
  ASSERT_EQ(::symlink("big", (dir / "sub/sym").c_str()), 0);
  auto after = ImageFsUsage(dir.path());
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  // dir, sub, big (+its link, same inode), sym
  EXPECT_EQ(after->inodes_used, 4u);
  EXPECT_GE(after->used_bytes, before->used_bytes + (1u << 20));
  EXPECT_LT(after->used_bytes, before->used_bytes + 2 * (1u << 20));  // not counted twice
  EXPECT_GT(after->timestamp_nanos, 0);
}

TEST(ImageFsInfoTest, MountpointHoldsTheDirectory) {
  TempDir dir;
  auto mp = MountPointOf(dir.path());
  ASSERT_TRUE(mp.ok()) << mp.status().ToString();
  ASSERT_FALSE(mp->empty());
  EXPECT_EQ(mp->front(), '/');
  EXPECT_TRUE(dir.path().starts_with(*mp)) << *mp;
  struct stat a, b;
  ASSERT_EQ(::stat(mp->c_str(), &a), 0);
  ASSERT_EQ(::stat(dir.path().c_str(), &b), 0);
  EXPECT_EQ(a.st_dev, b.st_dev);
  EXPECT_EQ(MountPointOf("/proc/self")->substr(0, 5), "/proc");
}

TEST(ImageFsInfoTest, MissingDirectoryIsAnError) {
  EXPECT_FALSE(ImageFsUsage("/nonexistent/berth/images").ok());
}

}  // namespace
}  // namespace berth::image
