#include "pkg/stats/cgroup_path.h"

#include <gtest/gtest.h>

namespace berth::stats {
namespace {

TEST(CgroupDirOfTest, CgroupfsPathIsTheDirectory) {
  Result<std::string> dir = CgroupDirOf("/berth/berth-0123abcd");
  ASSERT_TRUE(dir.ok()) << dir.status().ToString();
  EXPECT_EQ(*dir, "/berth/berth-0123abcd");
  EXPECT_EQ(*CgroupDirOf("/kubepods/burstable/pod1/berth-ab/"),
            "/kubepods/burstable/pod1/berth-ab");
}

TEST(CgroupDirOfTest, SystemdTripleIsAScopeInsideTheExpandedSlice) {
  Result<std::string> dir = CgroupDirOf("kubepods-burstable-pod1234.slice:berth:0123abcd");
  ASSERT_TRUE(dir.ok()) << dir.status().ToString();
  EXPECT_EQ(*dir,
            "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1234.slice/"
            "berth-0123abcd.scope");
  EXPECT_EQ(*CgroupDirOf("system.slice:berth:ab"), "/system.slice/berth-ab.scope");
  // runc's default slice, and the root slice.
  EXPECT_EQ(*CgroupDirOf(":berth:ab"), "/system.slice/berth-ab.scope");
  EXPECT_EQ(*CgroupDirOf("-.slice:berth:ab"), "/berth-ab.scope");
}

TEST(CgroupDirOfTest, RefusesWhatIsNeitherForm) {
  for (const char* bad : {"", "berth/berth-ab", "/berth/../etc", "/a//b", "a.slice:berth",
                          "a.slice:berth:x:y", "a.slice::ab", "a.slice:berth:", "a.slice:be/rth:ab",
                          "a.slice:berth:..", "notaslice:berth:ab", "a--b.slice:berth:ab"}) {
    Result<std::string> dir = CgroupDirOf(bad);
    EXPECT_FALSE(dir.ok()) << bad << " -> " << (dir.ok() ? *dir : "");
    if (!dir.ok()) {
      EXPECT_EQ(dir.status().code(), Code::kInvalidArgument) << bad;
    }
  }
}

TEST(PodCgroupDirOfTest, CgroupfsAndSystemdParents) {
  EXPECT_EQ(*PodCgroupDirOf("/kubepods/besteffort/pod42"), "/kubepods/besteffort/pod42");
  EXPECT_EQ(*PodCgroupDirOf("kubepods-besteffort-pod42.slice"),
            "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod42.slice");
  EXPECT_FALSE(PodCgroupDirOf("kubepods/x").ok());
  EXPECT_FALSE(PodCgroupDirOf("").ok());
}

TEST(SpecCgroupsPathTest, ReadsLinuxCgroupsPath) {
  Result<std::string> p =
      SpecCgroupsPath(R"({"ociVersion":"1.0.2","linux":{"cgroupsPath":"/berth/berth-ab"}})");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(*p, "/berth/berth-ab");
  EXPECT_EQ(SpecCgroupsPath(R"({"linux":{}})").status().code(), Code::kNotFound);
  EXPECT_EQ(SpecCgroupsPath(R"({"linux":{"cgroupsPath":7}})").status().code(), Code::kNotFound);
  EXPECT_EQ(SpecCgroupsPath("{not json").status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace berth::stats
