#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "pkg/oci/container_spec.h"
#include "pkg/oci/rootfs_file.h"
#include "test/unit/oci/container_test_util.h"

namespace berth::oci {
namespace {

using testing::BaseConfig;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::MakeTempDir;
using testing::WriteAccounts;
using testing::WriteFile;

class ResolveUserTest : public ::testing::Test {
 protected:
  void SetUp() override { WriteAccounts(root_.path()); }
  Result<ResolvedUser> Resolve(const std::string& image_user) {
    ImageDefaults image;
    image.user = image_user;
    return ResolveUser(root_.path(), config_, image, pod_);
  }
  TempDir root_ = MakeTempDir();
  runtime::v1::ContainerConfig config_ = BaseConfig();
  PodContext pod_;
};

TEST_F(ResolveUserTest, NoUserAnywhereIsRoot) {
  auto u = Resolve("");
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ(u->uid, 0u);
  EXPECT_EQ(u->gid, 0u);
  EXPECT_EQ(u->home, "/root");
  EXPECT_THAT(u->additional_gids, ElementsAre(44u));  // video lists root
}

TEST_F(ResolveUserTest, RunAsUserNumericFindsPasswdEntry) {
  config_.mutable_linux()->mutable_security_context()->mutable_run_as_user()->set_value(1002);
  auto u = Resolve("web");  // the CRI wins over the image
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ(u->uid, 1002u);
  EXPECT_EQ(u->gid, 1002u);
  EXPECT_EQ(u->home, "/home/app");
  EXPECT_THAT(u->additional_gids, ElementsAre(44u, 50u));
}

TEST_F(ResolveUserTest, RunAsUserWithoutPasswdEntryGetsGidZero) {
  config_.mutable_linux()->mutable_security_context()->mutable_run_as_user()->set_value(4000);
  auto u = Resolve("");
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ(u->uid, 4000u);
  EXPECT_EQ(u->gid, 0u);
  EXPECT_EQ(u->home, "/");
  EXPECT_TRUE(u->additional_gids.empty());
}

TEST_F(ResolveUserTest, RunAsUsernameResolved) {
  config_.mutable_linux()->mutable_security_context()->set_run_as_username("web");
  auto u = Resolve("");
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ(u->uid, 1003u);
  EXPECT_EQ(u->gid, 1500u);
  EXPECT_EQ(u->home, "/srv/web");
  EXPECT_THAT(u->additional_gids, ElementsAre(50u, 63u));
}

TEST_F(ResolveUserTest, UnknownRunAsUsernameIsInvalidArgumentNamingIt) {
  config_.mutable_linux()->mutable_security_context()->set_run_as_username("nobody2");
  auto u = Resolve("");
  ASSERT_FALSE(u.ok());
  EXPECT_EQ(u.status().code(), Code::kInvalidArgument);
  EXPECT_THAT(u.status().message(), HasSubstr("\"nobody2\""));
  EXPECT_THAT(u.status().message(), HasSubstr("container \"web\""));
}

TEST_F(ResolveUserTest, ImageUserName) {
  auto u = Resolve("app");
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ(u->uid, 1002u);
  EXPECT_EQ(u->gid, 1002u);
}

TEST_F(ResolveUserTest, ImageUserUid) {
  auto u = Resolve("1003");
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ(u->uid, 1003u);
  EXPECT_EQ(u->gid, 1500u);
}

TEST_F(ResolveUserTest, ImageUserUidGid) {
  auto u = Resolve("1002:77");
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ(u->uid, 1002u);
  EXPECT_EQ(u->gid, 77u);
  EXPECT_THAT(u->additional_gids, ElementsAre(44u, 50u));
}

TEST_F(ResolveUserTest, ImageUserNameGroup) {
  auto u = Resolve("app:audio");
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ(u->uid, 1002u);
  EXPECT_EQ(u->gid, 63u);
}

TEST_F(ResolveUserTest, ImageUserUidGroup) {
  auto u = Resolve("1003:staff");
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ(u->uid, 1003u);
  EXPECT_EQ(u->gid, 50u);
  EXPECT_THAT(u->additional_gids, ElementsAre(63u));  // staff is the primary now
}

TEST_F(ResolveUserTest, ImageUserNameGid) {
  auto u = Resolve("web:9");
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ(u->uid, 1003u);
  EXPECT_EQ(u->gid, 9u);
}

TEST_F(ResolveUserTest, UnknownImageGroupIsInvalidArgument) {
  auto u = Resolve("app:nogroup");
  ASSERT_FALSE(u.ok());
  EXPECT_EQ(u.status().code(), Code::kInvalidArgument);
  EXPECT_THAT(u.status().message(), HasSubstr("\"nogroup\""));
}

TEST_F(ResolveUserTest, RunAsGroupOverridesAndCriSupplementalGroupsAdded) {
  auto* sc = config_.mutable_linux()->mutable_security_context();
  sc->mutable_run_as_user()->set_value(1003);
  sc->mutable_run_as_group()->set_value(3000);
  sc->add_supplemental_groups(4000);
  sc->add_supplemental_groups(3000);  // the primary gid is not repeated
  pod_.supplemental_groups = {5000};  // the container's list wins
  auto u = Resolve("");
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ(u->gid, 3000u);
  EXPECT_THAT(u->additional_gids, ElementsAre(50u, 63u, 4000u));
}

TEST_F(ResolveUserTest, PodLevelValuesApplyWhenContainerHasNone) {
  pod_.run_as_user = 1002;
  pod_.run_as_group = 600;
  pod_.supplemental_groups = {5000};
  auto u = Resolve("web");
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ(u->uid, 1002u);
  EXPECT_EQ(u->gid, 600u);
  EXPECT_THAT(u->additional_gids, ElementsAre(44u, 50u, 5000u));
}

TEST_F(ResolveUserTest, StrictPolicyIgnoresImageGroups) {
  auto* sc = config_.mutable_linux()->mutable_security_context();
  sc->mutable_run_as_user()->set_value(1003);
  sc->set_supplemental_groups_policy(runtime::v1::Strict);
  sc->add_supplemental_groups(7);
  auto u = Resolve("");
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_THAT(u->additional_gids, ElementsAre(7u));
}

TEST_F(ResolveUserTest, RunAsGroupWithoutUserIsInvalidArgument) {
  config_.mutable_linux()->mutable_security_context()->mutable_run_as_group()->set_value(5);
  auto u = Resolve("app");
  ASSERT_FALSE(u.ok());
  EXPECT_THAT(u.status().message(), HasSubstr("run_as_group"));
}

TEST_F(ResolveUserTest, NegativeRunAsUserIsInvalidArgument) {
  config_.mutable_linux()->mutable_security_context()->mutable_run_as_user()->set_value(-1);
  auto u = Resolve("");
  ASSERT_FALSE(u.ok());
  EXPECT_EQ(u.status().code(), Code::kInvalidArgument);
  EXPECT_THAT(u.status().message(), HasSubstr("run_as_user"));
}

TEST(ResolveUserNoPasswd, NumericUserWithoutPasswdIsFine) {
  TempDir root = MakeTempDir();
  ImageDefaults image;
  image.user = "1002:1002";
  auto u = ResolveUser(root.path(), BaseConfig(), image, {});
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ(u->uid, 1002u);
  EXPECT_EQ(u->gid, 1002u);
  EXPECT_EQ(u->home, "/");
}

TEST(ResolveUserNoPasswd, NamedUserWithoutPasswdNamesTheUser) {
  TempDir root = MakeTempDir();
  ImageDefaults image;
  image.user = "app";
  auto u = ResolveUser(root.path(), BaseConfig(), image, {});
  ASSERT_FALSE(u.ok());
  EXPECT_EQ(u.status().code(), Code::kInvalidArgument);
  EXPECT_THAT(u.status().message(), HasSubstr("user \"app\" not found in the image's /etc/passwd"));
}

// /etc/passwd in the image is a link climbing out of the rootfs: it must be
// read as the container sees it (inside), never the host's file.
TEST(ResolveUserSymlink, AbsoluteEscapeStaysInsideRootfs) {
  TempDir outer = MakeTempDir();
  std::string rootfs = outer.path() + "/rootfs";
  WriteFile(outer.path() + "/etc/shadow", "evil:x:0:0::/evil:/bin/sh\n");
  WriteFile(rootfs + "/etc/shadow", "inside:x:1234:1234::/in:/bin/sh\n");
  std::filesystem::create_directories(rootfs + "/etc");
  ASSERT_EQ(symlink("/../../etc/shadow", (rootfs + "/etc/passwd").c_str()), 0);
  ImageDefaults image;
  image.user = "inside";
  auto u = ResolveUser(rootfs, BaseConfig(), image, {});
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ(u->uid, 1234u);
  image.user = "evil";
  EXPECT_FALSE(ResolveUser(rootfs, BaseConfig(), image, {}).ok());
}

class RootfsFileTest : public ::testing::TestWithParam<bool> {};

TEST_P(RootfsFileTest, RelativeAndAbsoluteLinksResolveInsideRoot) {
  TempDir outer = MakeTempDir();
  std::string rootfs = outer.path() + "/rootfs";
  WriteFile(outer.path() + "/secret", "host");
  WriteFile(rootfs + "/secret", "inside");
  WriteFile(rootfs + "/data/real", "real");
  std::filesystem::create_directories(rootfs + "/etc");
  ASSERT_EQ(symlink("../../../../secret", (rootfs + "/etc/rel").c_str()), 0);
  ASSERT_EQ(symlink("/../secret", (rootfs + "/etc/abs").c_str()), 0);
  ASSERT_EQ(symlink("/data", (rootfs + "/etc/dirlink").c_str()), 0);
  ASSERT_EQ(symlink("loop", (rootfs + "/etc/loop").c_str()), 0);
  bool openat2 = GetParam();
  auto rel = ReadFileInRoot(rootfs, "/etc/rel", 1024, openat2);
  ASSERT_TRUE(rel.ok()) << rel.status().ToString();
  EXPECT_EQ(*rel, "inside");
  auto abs = ReadFileInRoot(rootfs, "/etc/abs", 1024, openat2);
  ASSERT_TRUE(abs.ok()) << abs.status().ToString();
  EXPECT_EQ(*abs, "inside");
  auto dir = ReadFileInRoot(rootfs, "/etc/dirlink/../data/real", 1024, openat2);
  ASSERT_TRUE(dir.ok()) << dir.status().ToString();
  EXPECT_EQ(*dir, "real");
  EXPECT_EQ(ReadFileInRoot(rootfs, "/etc/missing", 1024, openat2).status().code(), Code::kNotFound);
  EXPECT_EQ(ReadFileInRoot(rootfs, "/etc/loop", 1024, openat2).status().code(),
            Code::kInvalidArgument);
  auto big = ReadFileInRoot(rootfs, "/secret", 3, openat2);
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(ReadFileInRoot(rootfs, "/etc", 1024, openat2).status().code(), Code::kInvalidArgument);
}

INSTANTIATE_TEST_SUITE_P(Openat2AndWalk, RootfsFileTest, ::testing::Bool());

}  // namespace
}  // namespace berth::oci
