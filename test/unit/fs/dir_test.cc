#include "pkg/fs/dir.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "pkg/fs/atomic_file.h"
#include "test/unit/fs/test_util.h"

namespace berth {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing_util::Exists;

class DirTest : public testing_util::TempDirTest {};

TEST_F(DirTest, MkdirAllCreatesParents) {
  const std::string deep = Path("a/b/c");
  ASSERT_TRUE(MkdirAll(deep, 0755).ok());
  struct stat st;
  ASSERT_EQ(::stat(deep.c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_TRUE(MkdirAll(deep).ok());             // already there
  EXPECT_TRUE(MkdirAll(Path("a//b/d/")).ok());  // doubled and trailing slashes
  EXPECT_TRUE(Exists(Path("a/b/d")));
}

TEST_F(DirTest, MkdirAllThroughExistingFileFailsNamingIt) {
  ASSERT_TRUE(WriteFileAtomic(Path("file"), "x").ok());
  Status s = MkdirAll(Path("file/sub"));
  EXPECT_EQ(s.code(), Code::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr(Path("file")));
  EXPECT_EQ(MkdirAll("").code(), Code::kInvalidArgument);
}

TEST_F(DirTest, RemoveAllRemovesTree) {
  ASSERT_TRUE(MkdirAll(Path("t/a/b/c")).ok());
  ASSERT_TRUE(WriteFileAtomic(Path("t/a/f1"), "1").ok());
  ASSERT_TRUE(WriteFileAtomic(Path("t/a/b/c/f2"), "2").ok());
  ASSERT_EQ(::mkfifo(Path("t/a/fifo").c_str(), 0600), 0);
  ASSERT_TRUE(RemoveAll(Path("t")).ok());
  EXPECT_FALSE(Exists(Path("t")));
  EXPECT_TRUE(Exists(dir_->path()));
}

TEST_F(DirTest, RemoveAllOfMissingPathSucceeds) {
  EXPECT_TRUE(RemoveAll(Path("missing")).ok());
  EXPECT_TRUE(RemoveAll(Path("missing/below")).ok());
}

TEST_F(DirTest, RemoveAllOfFileRemovesIt) {
  ASSERT_TRUE(WriteFileAtomic(Path("f"), "x").ok());
  ASSERT_TRUE(RemoveAll(Path("f")).ok());
  EXPECT_FALSE(Exists(Path("f")));
}

TEST_F(DirTest, RemoveAllNeverFollowsSymlinks) {
  // Outside the tree: must survive.
  ASSERT_TRUE(MkdirAll(Path("outside")).ok());
  ASSERT_TRUE(WriteFileAtomic(Path("outside/precious"), "keep").ok());
  // Inside: symlinks to it, as a hostile image layer could plant.
  ASSERT_TRUE(MkdirAll(Path("tree/sub")).ok());
  ASSERT_EQ(::symlink(Path("outside").c_str(), Path("tree/sub/dirlink").c_str()), 0);
  ASSERT_EQ(::symlink(Path("outside/precious").c_str(), Path("tree/filelink").c_str()), 0);
  ASSERT_EQ(::symlink("../../outside", Path("tree/sub/rel").c_str()), 0);
  ASSERT_TRUE(RemoveAll(Path("tree")).ok());
  EXPECT_FALSE(Exists(Path("tree")));
  EXPECT_EQ(*ReadFile(Path("outside/precious")), "keep");
}

TEST_F(DirTest, RemoveAllOfSymlinkRemovesOnlyTheLink) {
  ASSERT_TRUE(MkdirAll(Path("target")).ok());
  ASSERT_TRUE(WriteFileAtomic(Path("target/f"), "x").ok());
  ASSERT_EQ(::symlink(Path("target").c_str(), Path("link").c_str()), 0);
  ASSERT_TRUE(RemoveAll(Path("link")).ok());
  EXPECT_FALSE(Exists(Path("link")));
  EXPECT_TRUE(Exists(Path("target/f")));
}

TEST_F(DirTest, RemoveAllRejectsRootAndEmpty) {
  EXPECT_EQ(RemoveAll("/").code(), Code::kInvalidArgument);
  EXPECT_EQ(RemoveAll("///").code(), Code::kInvalidArgument);
  EXPECT_EQ(RemoveAll("").code(), Code::kInvalidArgument);
  EXPECT_EQ(RemoveAll(Path("x/..")).code(), Code::kInvalidArgument);
}

TEST_F(DirTest, ListDirGivesSortedNamesWithoutDotEntries) {
  for (const char* name : {"b", "a", ".hidden", "c"}) {
    ASSERT_TRUE(WriteFileAtomic(Path(name), "x").ok());
  }
  ASSERT_TRUE(MkdirAll(Path("sub/deeper")).ok());
  Result<std::vector<std::string>> names = ListDir(dir_->path());
  ASSERT_TRUE(names.ok()) << names.status().ToString();
  EXPECT_THAT(*names, ElementsAre(".hidden", "a", "b", "c", "sub"));
  EXPECT_THAT(ListDirOrEmpty(Path("sub")), ElementsAre("deeper"));
}

TEST_F(DirTest, ListDirOfMissingOrNonDirectoryFailsNamingIt) {
  Result<std::vector<std::string>> missing = ListDir(Path("missing"));
  EXPECT_EQ(missing.status().code(), Code::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr(Path("missing")));
  ASSERT_TRUE(WriteFileAtomic(Path("file"), "x").ok());
  Result<std::vector<std::string>> file = ListDir(Path("file"));
  EXPECT_FALSE(file.ok());
  EXPECT_THAT(file.status().message(), HasSubstr(Path("file")));
  EXPECT_THAT(ListDirOrEmpty(Path("missing")), IsEmpty());
  EXPECT_THAT(ListDirOrEmpty(Path("file")), IsEmpty());
}

TEST_F(DirTest, FsyncDirOfMissingDirectoryFailsNamingIt) {
  EXPECT_TRUE(FsyncDir(dir_->path()).ok());
  Status s = FsyncDir(Path("missing"));
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr(Path("missing")));
}

}  // namespace
}  // namespace berth
