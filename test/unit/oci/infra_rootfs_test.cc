// PrepareInfraRootfs's choice between a hard link and a copy of the infra
// binary: linked only when no one but root can change what every pod runs.
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>

#include <gtest/gtest.h>

#include "pkg/fs/temp_dir.h"
#include "pkg/oci/sandbox_spec.h"

namespace berth::oci {
namespace {

class InfraRootfs : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(geteuid(), 0u) << "these tests need root, to own the binary as root";
    Result<TempDir> dir = TempDir::Create("/tmp", "berth-infra-rootfs-");
    ASSERT_TRUE(dir.ok()) << dir.status().ToString();
    dir_.emplace(std::move(*dir));
    top_ = dir_->path();
    bin_ = top_ + "/berth-pause";
    { std::ofstream(bin_) << "#!pause-binary"; }
  }

  struct stat Stat(const std::string& path) {
    struct stat st {};
    EXPECT_EQ(stat(path.c_str(), &st), 0) << path;
    return st;
  }

  std::optional<TempDir> dir_;  // removed with the fixture
  std::string top_, bin_;
};

TEST_F(InfraRootfs, LinksARootOwnedBinaryOnlyRootMayWrite) {
  ASSERT_EQ(chmod(bin_.c_str(), 0755), 0);
  const std::string dir = top_ + "/rootfs";
  ASSERT_TRUE(PrepareInfraRootfs(dir, bin_).ok());
  ASSERT_TRUE(PrepareInfraRootfs(dir, bin_).ok());  // idempotent
  EXPECT_EQ(Stat(dir + "/pause").st_ino, Stat(bin_).st_ino);
  EXPECT_EQ(Stat(bin_).st_nlink, 2u);
  EXPECT_FALSE(std::filesystem::exists(dir + "/.pause.tmp"));
}

TEST_F(InfraRootfs, CopiesABinaryOthersMayWrite) {
  ASSERT_EQ(chmod(bin_.c_str(), 0775), 0);  // group-writable: a pod must not share it
  const std::string dir = top_ + "/rootfs";
  ASSERT_TRUE(PrepareInfraRootfs(dir, bin_).ok());
  EXPECT_NE(Stat(dir + "/pause").st_ino, Stat(bin_).st_ino);
  EXPECT_EQ(Stat(dir + "/pause").st_mode & 0777, 0755u);
  std::ifstream in(dir + "/pause");
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), "#!pause-binary");
}

TEST_F(InfraRootfs, CopiesABinaryRootDoesNotOwn) {
  ASSERT_EQ(chmod(bin_.c_str(), 0755), 0);
  ASSERT_EQ(chown(bin_.c_str(), 65534, 65534), 0);
  const std::string dir = top_ + "/rootfs";
  ASSERT_TRUE(PrepareInfraRootfs(dir, bin_).ok());
  EXPECT_NE(Stat(dir + "/pause").st_ino, Stat(bin_).st_ino);
  EXPECT_EQ(Stat(dir + "/pause").st_uid, 0u);
}

TEST(PrepareInfraRootfs, CopiesBinaryAsPause) {
  char tmpl[] = "/tmp/berth-oci-rootfs-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string dir = std::string(tmpl) + "/rootfs";
  std::string bin = std::string(tmpl) + "/bin";
  { std::ofstream(bin) << "#!pause-binary"; }
  ASSERT_TRUE(PrepareInfraRootfs(dir, bin).ok());
  ASSERT_TRUE(PrepareInfraRootfs(dir, bin).ok());  // idempotent
  std::ifstream in(dir + "/pause");
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(content, "#!pause-binary");
  struct stat st {};
  ASSERT_EQ(stat((dir + "/pause").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0755u);
  EXPECT_EQ(PrepareInfraRootfs(dir, std::string(tmpl) + "/missing").code(), Code::kInternal);
  std::filesystem::remove_all(tmpl);
}

}  // namespace
}  // namespace berth::oci
