#include "pkg/fs/atomic_file.h"

#include <sys/stat.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "pkg/fs/dir.h"
#include "pkg/fs/temp_dir.h"

namespace berth {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class AtomicFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<TempDir> dir = TempDir::Create("/tmp", "berth-fs-test-");
    ASSERT_TRUE(dir.ok()) << dir.status().ToString();
    dir_.emplace(std::move(dir).value());
  }
  std::string Path(const std::string& name) const { return dir_->path() + "/" + name; }
  std::optional<TempDir> dir_;
};

TEST_F(AtomicFileTest, WriteCreatesFileWithContent) {
  ASSERT_TRUE(WriteFileAtomic(Path("config.json"), "{\"a\":1}").ok());
  EXPECT_EQ(*ReadFile(Path("config.json")), "{\"a\":1}");
}

TEST_F(AtomicFileTest, WriteReplacesContentAndLeavesNoTempFiles) {
  ASSERT_TRUE(WriteFileAtomic(Path("state"), std::string(100000, 'x')).ok());
  ASSERT_TRUE(WriteFileAtomic(Path("state"), "short").ok());
  EXPECT_EQ(*ReadFile(Path("state")), "short");
  EXPECT_THAT(ListDirOrEmpty(dir_->path()), ElementsAre("state"));
}

TEST_F(AtomicFileTest, WriteEmptyContent) {
  ASSERT_TRUE(WriteFileAtomic(Path("empty"), "").ok());
  EXPECT_EQ(*ReadFile(Path("empty")), "");
}

TEST_F(AtomicFileTest, ModeIsHonoredRegardlessOfUmask) {
  mode_t old = ::umask(077);
  Status s1 = WriteFileAtomic(Path("a"), "x", 0644);
  Status s2 = WriteFileAtomic(Path("b"), "x", 0600);
  ::umask(old);
  ASSERT_TRUE(s1.ok()) << s1.ToString();
  ASSERT_TRUE(s2.ok()) << s2.ToString();
  struct stat st;
  ASSERT_EQ(::stat(Path("a").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0644u);
  ASSERT_EQ(::stat(Path("b").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  // Replacing takes the new mode too.
  ASSERT_TRUE(WriteFileAtomic(Path("a"), "y", 0640).ok());
  ASSERT_EQ(::stat(Path("a").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
}

TEST_F(AtomicFileTest, MissingDirectoryFailsNamingPathAndLeavesNothing) {
  const std::string path = Path("no-such-dir/file");
  Status s = WriteFileAtomic(path, "x");
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr(path));
  EXPECT_THAT(s.message(), HasSubstr("No such file or directory"));
  EXPECT_TRUE(ListDirOrEmpty(dir_->path()).empty());
}

TEST_F(AtomicFileTest, FailedRenameRemovesTempFileAndKeepsTarget) {
  // The target is a non-empty directory: the rename fails after the temp
  // file was written.
  ASSERT_EQ(::mkdir(Path("target").c_str(), 0755), 0);
  ASSERT_TRUE(WriteFileAtomic(Path("target/inside"), "keep").ok());
  Status s = WriteFileAtomic(Path("target"), "x");
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr(Path("target")));
  EXPECT_THAT(ListDirOrEmpty(dir_->path()), ElementsAre("target"));
  EXPECT_EQ(*ReadFile(Path("target/inside")), "keep");
}

TEST_F(AtomicFileTest, PathNotNamingAFileIsInvalidArgument) {
  EXPECT_EQ(WriteFileAtomic(dir_->path() + "/", "x").code(), Code::kInvalidArgument);
  EXPECT_EQ(WriteFileAtomic(dir_->path() + "/..", "x").code(), Code::kInvalidArgument);
}

TEST_F(AtomicFileTest, LongFileNameStillWorks) {
  const std::string name(250, 'n');  // near NAME_MAX: the temp name must be shortened
  ASSERT_TRUE(WriteFileAtomic(Path(name), "x").ok());
  EXPECT_THAT(ListDirOrEmpty(dir_->path()), ElementsAre(name));
}

TEST_F(AtomicFileTest, ReadMissingFileIsNotFoundNamingPath) {
  Result<std::string> r = ReadFile(Path("missing"));
  EXPECT_EQ(r.status().code(), Code::kNotFound);
  EXPECT_THAT(r.status().message(), HasSubstr(Path("missing")));
}

TEST_F(AtomicFileTest, ReadOverLimitIsResourceExhausted) {
  ASSERT_TRUE(WriteFileAtomic(Path("big"), std::string(1000, 'b')).ok());
  EXPECT_EQ(ReadFile(Path("big"), 999).status().code(), Code::kResourceExhausted);
  EXPECT_EQ(ReadFile(Path("big"), 1000)->size(), 1000u);
}

TEST_F(AtomicFileTest, ReadRefusingAFinalSymlinkFailsNamingPath) {
  ASSERT_TRUE(WriteFileAtomic(Path("real"), "data").ok());
  ASSERT_EQ(::symlink(Path("real").c_str(), Path("link").c_str()), 0);
  EXPECT_EQ(*ReadFile(Path("link")), "data");  // followed by default
  Result<std::string> refused = ReadFile(Path("link"), 1024, FinalSymlink::kRefuse);
  EXPECT_FALSE(refused.ok());
  EXPECT_THAT(refused.status().message(), HasSubstr(Path("link")));
  EXPECT_EQ(*ReadFile(Path("real"), 1024, FinalSymlink::kRefuse), "data");
}

TEST_F(AtomicFileTest, CreateEmptyFileCreatesOrEmptiesButRefusesASymlink) {
  ASSERT_TRUE(CreateEmptyFile(Path("marker")).ok());
  EXPECT_EQ(*ReadFile(Path("marker")), "");
  ASSERT_TRUE(WriteFileAtomic(Path("full"), "data").ok());
  ASSERT_TRUE(CreateEmptyFile(Path("full")).ok());
  EXPECT_EQ(*ReadFile(Path("full")), "");
  ASSERT_TRUE(WriteFileAtomic(Path("target"), "keep").ok());
  ASSERT_EQ(::symlink(Path("target").c_str(), Path("link").c_str()), 0);
  Status refused = CreateEmptyFile(Path("link"));
  EXPECT_FALSE(refused.ok());
  EXPECT_THAT(refused.message(), HasSubstr(Path("link")));
  EXPECT_EQ(*ReadFile(Path("target")), "keep");
}

TEST_F(AtomicFileTest, TransientWriteCreatesFileWithExactModeAndContent) {
  const mode_t old_umask = ::umask(077);
  Status s = WriteFileTransient(Path("exec.json"), "{\"args\":[]}", 0640);
  ::umask(old_umask);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(*ReadFile(Path("exec.json")), "{\"args\":[]}");
  struct stat st {};
  ASSERT_EQ(::stat(Path("exec.json").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
}

TEST_F(AtomicFileTest, TransientWriteRefusesAnExistingFileAndKeepsIt) {
  ASSERT_TRUE(WriteFileAtomic(Path("exec.json"), "theirs").ok());
  Status s = WriteFileTransient(Path("exec.json"), "mine");
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr(Path("exec.json")));
  EXPECT_EQ(*ReadFile(Path("exec.json")), "theirs");
}

TEST(AtomicWriteTempNameTest, TellsTempFilesFromTheFilesTheyBecome) {
  EXPECT_TRUE(IsAtomicWriteTempName(".creating.tmp-Zq81xw"));
  EXPECT_TRUE(IsAtomicWriteTempName(".config.json.tmp-0a1B2c"));
  EXPECT_FALSE(IsAtomicWriteTempName(".creating"));
  EXPECT_FALSE(IsAtomicWriteTempName("config.json"));
  EXPECT_FALSE(IsAtomicWriteTempName("config.json.tmp-0a1B2c"));  // no leading dot
  EXPECT_FALSE(IsAtomicWriteTempName(""));
}

}  // namespace
}  // namespace berth
