#include "pkg/fs/mountinfo.h"

#include <gtest/gtest.h>

namespace berth {
namespace {

TEST(MountInfoTest, ParsesFieldsAndOptionalTags) {
  Result<std::vector<MountInfo>> r = ParseMountInfo(
      "36 35 98:0 /mnt1 /mnt/parent rw,noatime master:1 shared:2 - ext3 /dev/root rw\n"
      "21 26 0:20 / /proc rw,relatime - proc proc rw\n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 2u);
  const MountInfo& m = (*r)[0];
  EXPECT_EQ(m.id, 36);
  EXPECT_EQ(m.parent_id, 35);
  EXPECT_EQ(m.root, "/mnt1");
  EXPECT_EQ(m.mount_point, "/mnt/parent");
  EXPECT_EQ(m.fstype, "ext3");
  EXPECT_EQ(m.source, "/dev/root");
  EXPECT_EQ((*r)[1].mount_point, "/proc");
}

TEST(MountInfoTest, DecodesOctalEscapes) {
  Result<std::vector<MountInfo>> r =
      ParseMountInfo("40 1 0:50 / /run/a\\040b\\011c\\012d\\134e rw - tmpfs tmpfs rw\n");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].mount_point, "/run/a b\tc\nd\\e");
}

TEST(MountInfoTest, MalformedLineIsInvalidArgumentNamingLine) {
  Result<std::vector<MountInfo>> r =
      ParseMountInfo("21 26 0:20 / /proc rw - proc proc rw\n22 26 0:21 / /sys rw\n");
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find("line 2"), std::string::npos);
  EXPECT_FALSE(ParseMountInfo("x 26 0:20 / /proc rw - proc proc rw\n").ok());
}

TEST(MountInfoTest, ReadsOwnMountTable) {
  Result<std::vector<MountInfo>> r = ReadMountInfo();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  bool has_proc = false;
  for (const MountInfo& m : *r) has_proc |= m.mount_point == "/proc";
  EXPECT_TRUE(has_proc);
}

}  // namespace
}  // namespace berth
