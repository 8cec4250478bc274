// pkg/cgroups against a fake cgroupfs tree in a temporary directory (the file
// names of v1 and v2, plain files standing in for the kernel's).
#include "pkg/cgroups/pod_resources.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace berth::cgroups {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class FakeCgroupfs : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/berth-cgroups-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
  }
  void TearDown() override { fs::remove_all(root_); }

  void Touch(const std::string& rel, const std::string& content = "") {
    fs::create_directories(fs::path(root_ + rel).parent_path());
    std::ofstream(root_ + rel) << content;
  }
  std::string Read(const std::string& rel) {
    std::ifstream in(root_ + rel);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  std::string root_;
};

TEST(PodCgroupPathTest, CgroupfsParentMustBeCleanAndAbsolute) {
  EXPECT_EQ(*PodCgroupPath("/kubepods/pod1", false), "/kubepods/pod1");
  EXPECT_EQ(*PodCgroupPath("/kubepods/pod1/", false), "/kubepods/pod1");
  for (const char* bad : {"kubepods", "/a/../b", "/a//b", "/a/./b", ""}) {
    Result<std::string> r = PodCgroupPath(bad, false);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  }
}

TEST(PodCgroupPathTest, SystemdSliceExpandsToNestedSlices) {
  EXPECT_EQ(*PodCgroupPath("kubepods.slice", true), "/kubepods.slice");
  EXPECT_EQ(*PodCgroupPath("kubepods-burstable-pod12.slice", true),
            "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod12.slice");
  for (const char* bad : {"/kubepods.slice", "kubepods", "a--b.slice", "-a.slice", "a b.slice"}) {
    EXPECT_FALSE(PodCgroupPath(bad, true).ok()) << bad;
  }
}

TEST(SharesToWeightTest, MapsTheRangeEnds) {
  EXPECT_EQ(SharesToWeight(2), 1);
  EXPECT_EQ(SharesToWeight(1024), 39);
  EXPECT_EQ(SharesToWeight(262144), 10000);
}

TEST_F(FakeCgroupfs, V1WritesEachControllersFiles) {
  for (const char* f : {"/cpu/pod/cpu.shares", "/cpu/pod/cpu.cfs_quota_us",
                        "/cpu/pod/cpu.cfs_period_us", "/memory/pod/memory.limit_in_bytes"}) {
    Touch(f);
  }
  Resources r{
      .cpu_shares = 512, .cpu_quota = 50000, .cpu_period = 100000, .memory_limit_bytes = 64 << 20};
  ASSERT_TRUE(ApplyResources({root_, Version::kV1}, "/pod", r).ok());
  EXPECT_EQ(Read("/cpu/pod/cpu.shares"), "512");
  EXPECT_EQ(Read("/cpu/pod/cpu.cfs_quota_us"), "50000");
  EXPECT_EQ(Read("/cpu/pod/cpu.cfs_period_us"), "100000");
  EXPECT_EQ(Read("/memory/pod/memory.limit_in_bytes"), std::to_string(64 << 20));
}

TEST_F(FakeCgroupfs, V1LeavesUnsetFieldsAlone) {
  Touch("/cpu/pod/cpu.shares", "keep");
  Touch("/memory/pod/memory.limit_in_bytes", "keep");
  Touch("/cpu/pod/cpu.cfs_quota_us", "keep");
  ASSERT_TRUE(ApplyResources({root_, Version::kV1}, "/pod", {.cpu_quota = -1}).ok());
  EXPECT_EQ(Read("/cpu/pod/cpu.cfs_quota_us"), "-1");
  EXPECT_EQ(Read("/cpu/pod/cpu.shares"), "keep");
  EXPECT_EQ(Read("/memory/pod/memory.limit_in_bytes"), "keep");
}

TEST_F(FakeCgroupfs, V2WritesWeightMaxAndMemoryMax) {
  Touch("/pod/cpu.weight");
  Touch("/pod/cpu.max", "max 100000\n");
  Touch("/pod/memory.max");
  Resources r{
      .cpu_shares = 1024, .cpu_quota = 20000, .cpu_period = 50000, .memory_limit_bytes = 1 << 30};
  ASSERT_TRUE(ApplyResources({root_, Version::kV2}, "/pod", r).ok());
  EXPECT_EQ(Read("/pod/cpu.weight"), "39");
  EXPECT_EQ(Read("/pod/cpu.max"), "20000 50000");
  EXPECT_EQ(Read("/pod/memory.max"), std::to_string(1 << 30));
}

TEST_F(FakeCgroupfs, V2PeriodAloneKeepsTheQuota) {
  Touch("/pod/cpu.max", "30000 100000\n");
  ASSERT_TRUE(ApplyResources({root_, Version::kV2}, "/pod", {.cpu_period = 200000}).ok());
  EXPECT_EQ(Read("/pod/cpu.max"), "30000 200000");
}

TEST_F(FakeCgroupfs, MissingCgroupIsFailedPreconditionNamingIt) {
  Status s = ApplyResources({root_, Version::kV1}, "/nope", {.memory_limit_bytes = 1 << 20});
  EXPECT_EQ(s.code(), Code::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("/memory/nope"));
}

TEST_F(FakeCgroupfs, UncleanPathAndNegativeValuesAreRefused) {
  EXPECT_EQ(ApplyResources({root_, Version::kV1}, "/../etc", {.cpu_shares = 2}).code(),
            Code::kInvalidArgument);
  EXPECT_EQ(ApplyResources({root_, Version::kV1}, "/pod", {.cpu_shares = -5}).code(),
            Code::kInvalidArgument);
}

}  // namespace
}  // namespace berth::cgroups
