// pkg/stats' DiskUsageWalk on Windows (disk_usage_windows.cc), on Wine's file
// system. Reparse points are not tried here: Wine 8 creates none.
#include <windows.h>

#include <fstream>
#include <optional>
#include <random>

#include <gtest/gtest.h>

#include "pkg/fs/temp_dir.h"
#include "pkg/stats/disk_usage.h"
#include "test/windows/fs_win_test_util.h"

namespace berth::stats {
namespace {

// Random bytes, so no file system can compress them away.
void WriteRandom(const std::string& path, size_t bytes) {
  std::mt19937_64 gen(bytes);
  std::string data(bytes, '\0');
  for (char& c : data) c = static_cast<char>(gen());
  std::ofstream(path, std::ios::binary) << data;
}

DiskUsage Measure(const std::string& dir) {
  Result<DiskUsage> u = MeasureDiskUsage(dir);
  EXPECT_TRUE(u.ok()) << u.status().ToString();
  return u.ok() ? *u : DiskUsage{};
}

class DiskUsageWin : public test_util::FsWinTest {
 protected:
  void SetUp() override {
    FsWinTest::SetUp();
    tree_ = Path("tree");
    ASSERT_TRUE(CreateDirectoryA(tree_.c_str(), nullptr));
    ASSERT_TRUE(CreateDirectoryA((tree_ + "/a").c_str(), nullptr));
    ASSERT_TRUE(CreateDirectoryA((tree_ + "/a/b").c_str(), nullptr));
    WriteRandom(tree_ + "/a/one-mib", 1 << 20);
    WriteRandom(tree_ + "/a/b/small", 100);
    WriteRandom(Path("outside-big"), 4 << 20);
  }
  std::string tree_;
};

TEST_F(DiskUsageWin, CountsEveryEntryAndItsAllocatedBytes) {
  DiskUsage u = Measure(tree_);
  EXPECT_EQ(u.inodes, 5u);  // tree, a, a/b, one-mib, small
  EXPECT_GE(u.bytes, uint64_t{1} << 20);
  EXPECT_LT(u.bytes, uint64_t{4} << 20);  // the file beside the tree is not in it
  WriteRandom(tree_ + "/a/three-mib", 3 << 20);
  DiskUsage grown = Measure(tree_);
  EXPECT_EQ(grown.inodes, 6u);
  EXPECT_GE(grown.bytes, u.bytes + (uint64_t{3} << 20));
}

TEST_F(DiskUsageWin, HardLinksCountOnce) {
  DiskUsage before = Measure(tree_);
  ASSERT_TRUE(
      CreateHardLinkA((tree_ + "/a/b/same-file").c_str(), (tree_ + "/a/one-mib").c_str(), nullptr));
  ASSERT_TRUE(CreateHardLinkA((tree_ + "/again").c_str(), (tree_ + "/a/one-mib").c_str(), nullptr));
  DiskUsage after = Measure(tree_);
  EXPECT_EQ(after.inodes, before.inodes);
  EXPECT_EQ(after.bytes, before.bytes);
}

TEST_F(DiskUsageWin, StepsAreBoundedAndResumable) {
  for (int i = 0; i < 10; ++i) WriteRandom(tree_ + "/f" + std::to_string(i), 10);
  auto walk = DiskUsageWalk::Begin(tree_);
  ASSERT_TRUE(walk.ok()) << walk.status().ToString();
  size_t steps = 0;
  while (!(*walk)->done()) {
    EXPECT_LE((*walk)->Step(3), 3u);
    ++steps;
  }
  EXPECT_GE(steps, 5u);  // 14 entries below the root, 3 at a time
  EXPECT_EQ((*walk)->usage().inodes, Measure(tree_).inodes);
  EXPECT_EQ((*walk)->usage().inodes, 15u);
}

TEST_F(DiskUsageWin, AMissingDirectoryOrAFileIsAnErrorNamingIt) {
  auto missing = MeasureDiskUsage(Path("nope"));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find(Path("nope")), std::string::npos);
  auto file = MeasureDiskUsage(tree_ + "/a/one-mib");
  ASSERT_FALSE(file.ok());
  EXPECT_EQ(file.status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace berth::stats
