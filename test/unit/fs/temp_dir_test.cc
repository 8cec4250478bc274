#include "pkg/fs/temp_dir.h"

#include <sys/stat.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "pkg/fs/atomic_file.h"
#include "pkg/fs/dir.h"
#include "test/unit/fs/test_util.h"

namespace berth {
namespace {

using ::testing::StartsWith;
using testing_util::Exists;

TEST(TempDirTest, CreatesPrivateDirAndRemovesTreeOnDestruction) {
  std::string path;
  {
    Result<TempDir> dir = TempDir::Create("/tmp", "berth-td-");
    ASSERT_TRUE(dir.ok()) << dir.status().ToString();
    path = dir->path();
    EXPECT_THAT(path, StartsWith("/tmp/berth-td-"));
    struct stat st;
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_TRUE(S_ISDIR(st.st_mode));
    EXPECT_EQ(st.st_mode & 0777, 0700u);
    ASSERT_TRUE(MkdirAll(path + "/a/b").ok());
    ASSERT_TRUE(WriteFileAtomic(path + "/a/b/f", "x").ok());
  }
  EXPECT_FALSE(Exists(path));
}

TEST(TempDirTest, ReleaseKeepsDirectory) {
  std::string kept;
  {
    Result<TempDir> dir = TempDir::Create("/tmp");
    ASSERT_TRUE(dir.ok());
    kept = dir->Release();
    EXPECT_TRUE(dir->path().empty());
  }
  EXPECT_TRUE(Exists(kept));
  ASSERT_TRUE(RemoveAll(kept).ok());
}

TEST(TempDirTest, MoveTransfersOwnership) {
  Result<TempDir> a = TempDir::Create("/tmp");
  ASSERT_TRUE(a.ok());
  const std::string path = a->path();
  {
    TempDir b = std::move(a).value();
    EXPECT_EQ(b.path(), path);
  }
  EXPECT_FALSE(Exists(path));
}

TEST(TempDirTest, RemoveReportsAndEmptiesPath) {
  Result<TempDir> dir = TempDir::Create("/tmp");
  ASSERT_TRUE(dir.ok());
  const std::string path = dir->path();
  EXPECT_TRUE(dir->Remove().ok());
  EXPECT_FALSE(Exists(path));
  EXPECT_TRUE(dir->path().empty());
}

TEST(TempDirTest, BadParentOrPrefixFails) {
  Result<TempDir> missing = TempDir::Create("/nonexistent-berth-parent");
  EXPECT_FALSE(missing.ok());
  EXPECT_THAT(missing.status().message(), ::testing::HasSubstr("/nonexistent-berth-parent"));
  EXPECT_EQ(TempDir::Create("/tmp", "a/b").status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace berth
