// ProbeHostCgroups on mountinfo texts of real layouts (this machine's hybrid
// one, a pure v2 node, a v1 node without hugetlb) and fixture trees.
#include "pkg/cgroups/host_cgroups.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "pkg/fs/temp_dir.h"

namespace berth::cgroups {
namespace {

using ::testing::ElementsAre;

// The cgroup lines of this test machine's /proc/self/mountinfo (hugetlb,
// net_cls and perf_event have no hierarchy; v2 sits at .../unified).
constexpr char kHybrid[] =
    "30 25 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec shared:9 - tmpfs tmpfs rw,mode=755\n"
    "31 30 0:27 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:10 - cgroup2 "
    "cgroup2 rw\n"
    "32 30 0:28 / /sys/fs/cgroup/systemd rw,relatime shared:11 - cgroup cgroup "
    "rw,xattr,name=systemd\n"
    "33 30 0:29 / /sys/fs/cgroup/cpu rw,relatime shared:12 - cgroup cgroup rw,cpu\n"
    "34 30 0:30 / /sys/fs/cgroup/cpuacct rw,relatime shared:13 - cgroup cgroup rw,cpuacct\n"
    "35 30 0:31 / /sys/fs/cgroup/cpuset rw,relatime shared:14 - cgroup cgroup rw,cpuset\n"
    "36 30 0:32 / /sys/fs/cgroup/memory rw,relatime shared:15 - cgroup cgroup rw,memory\n"
    "37 30 0:33 / /sys/fs/cgroup/devices rw,relatime shared:16 - cgroup cgroup rw,devices\n"
    "38 30 0:34 / /sys/fs/cgroup/freezer rw,relatime shared:17 - cgroup cgroup rw,freezer\n"
    "39 30 0:35 / /sys/fs/cgroup/blkio rw,relatime shared:18 - cgroup cgroup rw,blkio\n"
    "40 30 0:36 / /sys/fs/cgroup/pids rw,relatime shared:19 - cgroup cgroup rw,pids\n";

constexpr char kV2[] =
    "30 25 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 "
    "rw,nsdelegate,memory_recursiveprot\n";

// A Debian 10 style v1 node: cpu,cpuacct co-mounted, hugetlb present, no v2.
constexpr char kV1[] =
    "33 30 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime shared:12 - cgroup cgroup rw,cpu,cpuacct\n"
    "36 30 0:32 / /sys/fs/cgroup/memory rw,relatime shared:15 - cgroup cgroup rw,memory\n"
    "37 30 0:33 / /sys/fs/cgroup/hugetlb rw,relatime shared:16 - cgroup cgroup rw,hugetlb\n";

// A fresh fixture root under /tmp.
struct Tree {
  TempDir dir = TempDir::Create("/tmp", "cgroups-test-").value();
  std::string path() const { return dir.path(); }
};

void Write(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path) << text;
}

std::vector<MountInfo> Parse(const char* text) {
  auto m = ParseMountInfo(text);
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return m.ok() ? *m : std::vector<MountInfo>{};
}

TEST(HostCgroups, HybridNodeListsMountedV1ControllersOnly) {
  Tree tree;
  Write(tree.path() + "/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes", "9223372036854771712\n");
  HostCgroups h = ProbeHostCgroups(Parse(kHybrid), tree.path());
  EXPECT_EQ(h.mode, Mode::kHybrid);
  EXPECT_EQ(h.ModeName(), "hybrid");
  EXPECT_THAT(h.controllers, ElementsAre("blkio", "cpu", "cpuacct", "cpuset", "devices", "freezer",
                                         "memory", "pids"));
  EXPECT_FALSE(h.Has("hugetlb"));
  EXPECT_TRUE(h.swap_accounting);
  EXPECT_EQ(h.memory_root, "/sys/fs/cgroup/memory");
}

TEST(HostCgroups, SwapAccountingFollowsTheMemswFile) {
  Tree tree;  // no memory.memsw.* (swapaccount=0)
  EXPECT_FALSE(ProbeHostCgroups(Parse(kHybrid), tree.path()).swap_accounting);
}

TEST(HostCgroups, PureV2ReadsRootControllers) {
  Tree tree;
  Write(tree.path() + "/sys/fs/cgroup/cgroup.controllers", "cpuset cpu io memory pids\n");
  Write(tree.path() + "/sys/fs/cgroup/system.slice/memory.swap.max", "max\n");
  HostCgroups h = ProbeHostCgroups(Parse(kV2), tree.path());
  EXPECT_EQ(h.mode, Mode::kV2);
  EXPECT_THAT(h.controllers, ElementsAre("cpu", "cpuset", "io", "memory", "pids"));
  EXPECT_FALSE(h.Has("hugetlb"));
  EXPECT_TRUE(h.swap_accounting);

  Tree no_swap;
  Write(no_swap.path() + "/sys/fs/cgroup/cgroup.controllers", "memory hugetlb\n");
  Write(no_swap.path() + "/sys/fs/cgroup/system.slice/memory.max", "max\n");
  HostCgroups h2 = ProbeHostCgroups(Parse(kV2), no_swap.path());
  EXPECT_TRUE(h2.Has("hugetlb"));
  EXPECT_FALSE(h2.swap_accounting);
}

TEST(HostCgroups, CoMountedV1Controllers) {
  Tree tree;
  HostCgroups h = ProbeHostCgroups(Parse(kV1), tree.path());
  EXPECT_EQ(h.mode, Mode::kV1);
  EXPECT_THAT(h.controllers, ElementsAre("cpu", "cpuacct", "hugetlb", "memory"));
}

TEST(HostCgroups, NoCgroupMountsMeansNoControllers) {
  HostCgroups h = ProbeHostCgroups(Parse(""), "/nonexistent");
  EXPECT_TRUE(h.controllers.empty());
}

}  // namespace
}  // namespace berth::cgroups
