// pkg/fs's Windows build (pkg/fs/windows/) on Wine's file system: the promises
// of dir.h, atomic_file.h, temp_dir.h and scoped_fd.h that test/unit/fs checks
// on Linux with POSIX calls (umask, lstat, symlink(2), /tmp), here with Win32
// ones.
#include <windows.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <io.h>

#include <optional>
#include <string>

#include "pkg/fs/atomic_file.h"
#include "pkg/fs/dir.h"
#include "pkg/fs/scoped_fd.h"
#include "pkg/fs/temp_dir.h"
#include "test/windows/fs_win_test_util.h"

namespace berth {
namespace {

using test_util::Exists;
using test_util::FsWinTest;
using test_util::SystemTempDir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

TEST_F(FsWinTest, WriteFileAtomicReplacesTheFileAndLeavesNoTempFile) {
  ASSERT_TRUE(WriteFileAtomic(Path("state.json"), "one").ok());
  ASSERT_TRUE(WriteFileAtomic(Path("state.json"), "two").ok());
  EXPECT_EQ(*ReadFile(Path("state.json")), "two");
  EXPECT_THAT(*ListDir(dir_->path()), ElementsAre("state.json"));
}

TEST_F(FsWinTest, WriteFileAtomicErrorsNameThePath) {
  EXPECT_EQ(WriteFileAtomic(Path("dir") + "/", "x").code(), Code::kInvalidArgument);
  Status missing = WriteFileAtomic(Path("no-such-dir/f"), "x");
  EXPECT_FALSE(missing.ok());
  EXPECT_THAT(missing.message(), HasSubstr("no-such-dir/f"));
}

TEST_F(FsWinTest, WriteFileTransientNeverOverwrites) {
  ASSERT_TRUE(WriteFileTransient(Path("exec.json"), "first").ok());
  Status again = WriteFileTransient(Path("exec.json"), "second");
  EXPECT_FALSE(again.ok());
  EXPECT_THAT(again.message(), HasSubstr("exec.json"));
  EXPECT_EQ(*ReadFile(Path("exec.json")), "first");
}

TEST_F(FsWinTest, CreateEmptyFileCreatesOrEmpties) {
  ASSERT_TRUE(CreateEmptyFile(Path("marker")).ok());
  EXPECT_EQ(*ReadFile(Path("marker")), "");
  ASSERT_TRUE(WriteFileAtomic(Path("full"), "data").ok());
  ASSERT_TRUE(CreateEmptyFile(Path("full")).ok());
  EXPECT_EQ(*ReadFile(Path("full")), "");
  Status missing = CreateEmptyFile(Path("none/marker"));
  EXPECT_FALSE(missing.ok());
  EXPECT_THAT(missing.message(), HasSubstr("none/marker"));
}

TEST_F(FsWinTest, ReadFileMissingIsNotFoundAndOversizeIsResourceExhausted) {
  EXPECT_EQ(ReadFile(Path("absent")).status().code(), Code::kNotFound);
  ASSERT_TRUE(WriteFileAtomic(Path("big"), std::string(100, 'x')).ok());
  EXPECT_EQ(ReadFile(Path("big"), 99).status().code(), Code::kResourceExhausted);
  EXPECT_EQ(ReadFile(Path("big"), 100)->size(), 100u);
}

TEST_F(FsWinTest, MkdirAllCreatesParentsAndRefusesAFileInTheWay) {
  ASSERT_TRUE(MkdirAll(Path("a/b/c")).ok());
  EXPECT_TRUE(Exists(Path("a/b/c")));
  EXPECT_TRUE(MkdirAll(Path("a/b/c")).ok()) << "an existing directory is fine";
  ASSERT_TRUE(WriteFileAtomic(Path("file"), "").ok());
  EXPECT_EQ(MkdirAll(Path("file/x")).code(), Code::kFailedPrecondition);
}

TEST_F(FsWinTest, ListDirIsSortedAndAMissingDirectoryIsNotFound) {
  for (const char* name : {"b", "c", "a"}) ASSERT_TRUE(WriteFileAtomic(Path(name), "").ok());
  EXPECT_THAT(*ListDir(dir_->path()), ElementsAre("a", "b", "c"));
  Result<std::vector<std::string>> missing = ListDir(Path("none"));
  EXPECT_EQ(missing.status().code(), Code::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr(Path("none")));
}

TEST_F(FsWinTest, RemoveAllRemovesTheTree) {
  ASSERT_TRUE(MkdirAll(Path("tree/x/y")).ok());
  ASSERT_TRUE(WriteFileAtomic(Path("tree/x/y/f"), "1").ok());
  ASSERT_TRUE(WriteFileAtomic(Path("tree/g"), "2").ok());
  Status removed = RemoveAll(Path("tree"));
  ASSERT_TRUE(removed.ok()) << removed.ToString();
  EXPECT_FALSE(Exists(Path("tree")));
  EXPECT_TRUE(RemoveAll(Path("tree")).ok()) << "a missing path is success";
}

TEST_F(FsWinTest, RemoveAllEmptiesReadOnlyEntriesOnlyWhenToldTo) {
  ASSERT_TRUE(MkdirAll(Path("layer")).ok());
  ASSERT_TRUE(WriteFileAtomic(Path("layer/ro"), "").ok());
  ASSERT_TRUE(::SetFileAttributesA(Path("layer/ro").c_str(), FILE_ATTRIBUTE_READONLY));
  Status plain = RemoveAll(Path("layer"));
  EXPECT_FALSE(plain.ok());
  EXPECT_THAT(plain.message(), HasSubstr("layer/ro"));
  EXPECT_TRUE(RemoveAll(Path("layer"), kUnpackedTreeRemoval).ok());
  EXPECT_FALSE(Exists(Path("layer")));
}

TEST(FsWinRootTest, RemoveAllRefusesRootsAndDotNames) {
  for (const char* path : {"", "/", "C:", "C:/", "x/..", "."}) {
    EXPECT_EQ(RemoveAll(path).code(), Code::kInvalidArgument) << path;
  }
}

TEST_F(FsWinTest, FsyncDirOfAMissingDirectoryNamesIt) {
  EXPECT_TRUE(FsyncDir(dir_->path()).ok());
  Status missing = FsyncDir(Path("none"));
  EXPECT_FALSE(missing.ok());
  EXPECT_THAT(missing.message(), HasSubstr(Path("none")));
}

TEST(TempDirWinTest, CreatesAFreshDirectoryAndRemovesItsTree) {
  std::string path;
  {
    Result<TempDir> dir = TempDir::Create(SystemTempDir(), "berth-td-");
    ASSERT_TRUE(dir.ok()) << dir.status().ToString();
    path = dir->path();
    EXPECT_THAT(path, StartsWith(SystemTempDir() + "/berth-td-"));
    Result<TempDir> other = TempDir::Create(SystemTempDir(), "berth-td-");
    ASSERT_TRUE(other.ok());
    EXPECT_NE(other->path(), path);
    ASSERT_TRUE(WriteFileAtomic(path + "/f", "x").ok());
  }
  EXPECT_FALSE(Exists(path));
  EXPECT_EQ(TempDir::Create(SystemTempDir(), "a/b").status().code(), Code::kInvalidArgument);
}

TEST(PipeWinTest, WhatIsWrittenIsRead) {
  ScopedFd read_end, write_end;
  ASSERT_TRUE(MakePipe(read_end, write_end).ok());
  ASSERT_EQ(::_write(write_end.get(), "berth", 5), 5);
  char buf[8] = {};
  ASSERT_EQ(::_read(read_end.get(), buf, sizeof buf), 5);
  EXPECT_STREQ(buf, "berth");
  EXPECT_EQ(SetNonBlocking(read_end.get()).code(), Code::kUnimplemented);
}

}  // namespace
}  // namespace berth
