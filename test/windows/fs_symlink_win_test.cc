// pkg/fs's Windows build and symlinks: ReadFile's FinalSymlink::kRefuse and
// RemoveAll's never following a link. Built, not run under Wine 8, whose
// CreateSymbolicLink returns TRUE and creates nothing (test/windows/CMakeLists.txt).
#include <windows.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "pkg/fs/atomic_file.h"
#include "pkg/fs/dir.h"
#include "test/windows/fs_win_test_util.h"

namespace berth {
namespace {

using test_util::Exists;
using test_util::FsWinTest;
using ::testing::HasSubstr;

// A symlink to `target`. Link targets are stored as given, and Windows
// resolves only backslashes in them.
bool MakeSymlink(const std::string& link, std::string target, DWORD flags = 0) {
  for (char& c : target) c = c == '/' ? '\\' : c;
  // A link that is not there afterwards fails the test, not passes it.
  if (!::CreateSymbolicLinkA(link.c_str(), target.c_str(), flags)) return false;
  const DWORD attributes = ::GetFileAttributesA(link.c_str());
  return attributes != INVALID_FILE_ATTRIBUTES && (attributes & FILE_ATTRIBUTE_REPARSE_POINT);
}

TEST_F(FsWinTest, ReadFileRefusesAFinalSymlinkOnlyWhenAsked) {
  ASSERT_TRUE(WriteFileAtomic(Path("real"), "data").ok());
  ASSERT_TRUE(MakeSymlink(Path("link"), Path("real")))
      << "CreateSymbolicLink error " << ::GetLastError();
  Result<std::string> followed = ReadFile(Path("link"));
  ASSERT_TRUE(followed.ok()) << followed.status().ToString();
  EXPECT_EQ(*followed, "data");
  Result<std::string> refused = ReadFile(Path("link"), 1024, FinalSymlink::kRefuse);
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.status().message(), HasSubstr("link"));
  EXPECT_EQ(*ReadFile(Path("real"), 1024, FinalSymlink::kRefuse), "data");
}

TEST_F(FsWinTest, CreateEmptyFileRefusesASymlink) {
  ASSERT_TRUE(WriteFileAtomic(Path("target"), "keep").ok());
  ASSERT_TRUE(MakeSymlink(Path("link"), Path("target")))
      << "CreateSymbolicLink error " << ::GetLastError();
  Status refused = CreateEmptyFile(Path("link"));
  EXPECT_FALSE(refused.ok());
  EXPECT_THAT(refused.message(), HasSubstr("link"));
  EXPECT_EQ(*ReadFile(Path("target")), "keep");
}

TEST_F(FsWinTest, RemoveAllRemovesTheTreeAndNeverFollowsALink) {
  ASSERT_TRUE(MkdirAll(Path("tree/x/y")).ok());
  ASSERT_TRUE(WriteFileAtomic(Path("tree/x/y/f"), "1").ok());
  ASSERT_TRUE(MkdirAll(Path("outside")).ok());
  ASSERT_TRUE(WriteFileAtomic(Path("outside/keep"), "2").ok());
  ASSERT_TRUE(MakeSymlink(Path("tree/x/dirlink"), Path("outside"), SYMBOLIC_LINK_FLAG_DIRECTORY))
      << "CreateSymbolicLink error " << ::GetLastError();
  Status removed = RemoveAll(Path("tree"));
  ASSERT_TRUE(removed.ok()) << removed.ToString();
  EXPECT_FALSE(Exists(Path("tree")));
  Result<std::string> kept = ReadFile(Path("outside/keep"));
  ASSERT_TRUE(kept.ok()) << "the link's target was emptied: " << kept.status().ToString();
  EXPECT_EQ(*kept, "2");
  EXPECT_TRUE(RemoveAll(Path("tree")).ok()) << "a missing path is success";
}

}  // namespace
}  // namespace berth
