#include "pkg/registry/blob_writer.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <optional>

#include "pkg/base/digest.h"
#include "pkg/fs/temp_dir.h"

namespace berth::registry {
namespace {

class BlobWriterTest : public ::testing::Test {
 protected:
  // Portable: the Windows build runs these tests too (test/windows).
  void SetUp() override {
    Result<TempDir> dir =
        TempDir::Create(std::filesystem::temp_directory_path().generic_string(), "blobwriter-");
    ASSERT_TRUE(dir.ok()) << dir.status().ToString();
    dir_ = dir->path();
    temp_.emplace(std::move(*dir));
  }
  size_t Entries() const {
    size_t n = 0;
    for ([[maybe_unused]] auto& e : std::filesystem::directory_iterator(dir_)) ++n;
    return n;
  }
  std::string dir_;
  std::optional<TempDir> temp_;  // removed with everything in it after each test
};

Descriptor Desc(const std::string& content) {
  return Descriptor{"application/octet-stream",
                    Sha256Digest(content),
                    static_cast<int64_t>(content.size()),
                    {},
                    std::nullopt};
}

TEST_F(BlobWriterTest, CommitsVerifiedContent) {
  const std::string dest = dir_ + "/blob";
  auto w = FileBlobWriter::Create(dest, Desc("hello world"));
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Write("hello ").ok());
  ASSERT_TRUE((*w)->Write("world").ok());
  ASSERT_TRUE((*w)->Commit().ok());
  std::ifstream in(dest, std::ios::binary);
  std::string got((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(got, "hello world");
  EXPECT_EQ(Entries(), 1u);
}

TEST_F(BlobWriterTest, DigestMismatchLeavesNothing) {
  const std::string dest = dir_ + "/blob";
  Descriptor d = Desc("hello world");
  {
    auto w = FileBlobWriter::Create(dest, d);
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->Write("hello WORLD").ok());
    Status s = (*w)->Commit();
    EXPECT_FALSE(s.ok());
    EXPECT_NE(s.message().find("digest mismatch"), std::string::npos);
  }
  EXPECT_EQ(Entries(), 0u);
}

TEST_F(BlobWriterTest, OversizeIsRefusedAtOnce) {
  auto w = FileBlobWriter::Create(dir_ + "/blob", Desc("abc"));
  ASSERT_TRUE(w.ok());
  EXPECT_FALSE((*w)->Write("abcd").ok());
}

TEST_F(BlobWriterTest, ShortContentIsASizeMismatch) {
  auto w = FileBlobWriter::Create(dir_ + "/blob", Desc("abc"));
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Write("ab").ok());
  Status s = (*w)->Commit();
  EXPECT_NE(s.message().find("size mismatch"), std::string::npos);
}

TEST_F(BlobWriterTest, RewindStartsOver) {
  const std::string dest = dir_ + "/blob";
  auto w = FileBlobWriter::Create(dest, Desc("abc"));
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Write("xy").ok());
  ASSERT_TRUE((*w)->Rewind().ok());
  ASSERT_TRUE((*w)->Write("abc").ok());
  ASSERT_TRUE((*w)->Commit().ok());
  // The file holds only what was written after the rewind.
  std::ifstream in(dest, std::ios::binary);
  EXPECT_EQ(std::string((std::istreambuf_iterator<char>(in)), {}), "abc");
}

TEST_F(BlobWriterTest, SinkCannotRewindAfterData) {
  std::string got;
  SinkBlobWriter w(
      [&](std::string_view d) {
        got.append(d);
        return OkStatus();
      },
      Desc("abc"));
  EXPECT_TRUE(w.Rewind().ok());
  ASSERT_TRUE(w.Write("a").ok());
  EXPECT_FALSE(w.Rewind().ok());
}

}  // namespace
}  // namespace berth::registry
