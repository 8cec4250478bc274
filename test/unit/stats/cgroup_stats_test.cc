#include "pkg/stats/cgroup_stats.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "pkg/fs/temp_dir.h"
#include "pkg/stats/cgroup_path.h"

namespace berth::stats {
namespace {

namespace fs = std::filesystem;

const std::string kTestdata = BERTH_STATS_TESTDATA;
// The fixtures' two cgroups: a cgroupfs container and a systemd scope.
constexpr char kCgroupfsPath[] = "/berth/berth-c1";
constexpr char kSystemdPath[] = "kubepods-burstable-pod1234.slice:berth:c2";

CgroupReader ReaderOf(const std::string& root, cgroups::Version version) {
  return CgroupReader(cgroups::Layout{root, version});
}

CgroupSample MustRead(const CgroupReader& reader, const std::string& cgroups_path) {
  Result<std::string> dir = CgroupDirOf(cgroups_path);
  EXPECT_TRUE(dir.ok()) << dir.status().ToString();
  Result<CgroupSample> s = reader.Read(dir.ok() ? *dir : "/");
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? *s : CgroupSample{};
}

TEST(CgroupReaderV1Test, CgroupfsContainerWithLimitsAndSwap) {
  CgroupSample s = MustRead(ReaderOf(kTestdata + "/v1", cgroups::Version::kV1), kCgroupfsPath);
  EXPECT_GT(s.timestamp_ns, 0);
  EXPECT_EQ(s.cpu_usage_ns, 272662024u);
  ASSERT_TRUE(s.memory);
  EXPECT_EQ(s.memory->usage_bytes, 42606592u);
  EXPECT_EQ(s.memory->working_set_bytes, 42606592u);  // total_inactive_file 0 (tmpfs is anon)
  EXPECT_EQ(s.memory->rss_bytes, 118784u);
  EXPECT_EQ(s.memory->page_faults, 153u);
  EXPECT_EQ(s.memory->major_page_faults, 0u);
  EXPECT_EQ(s.memory->limit_bytes, 268435456u);
  EXPECT_EQ(s.memory->AvailableBytes(), 268435456u - 42606592u);
  ASSERT_TRUE(s.swap);
  EXPECT_EQ(s.swap->usage_bytes, 1048576u);                 // total_swap
  EXPECT_EQ(s.swap->limit_bytes, 536870912u - 268435456u);  // memsw limit - memory limit
  EXPECT_EQ(s.swap->AvailableBytes(), 268435456u - 1048576u);
  EXPECT_EQ(s.process_count, 2u);
}

TEST(CgroupReaderV1Test, SystemdScopeWithoutLimitsClampsTheWorkingSet) {
  CgroupSample s = MustRead(ReaderOf(kTestdata + "/v1", cgroups::Version::kV1), kSystemdPath);
  EXPECT_EQ(s.cpu_usage_ns, 9913400211u);
  ASSERT_TRUE(s.memory);
  EXPECT_EQ(s.memory->usage_bytes, 1703616512u);
  // total_inactive_file (1739676160) is above usage: clamped, not wrapped.
  EXPECT_EQ(s.memory->working_set_bytes, 0u);
  EXPECT_EQ(s.memory->rss_bytes, 5259264u);
  EXPECT_EQ(s.memory->page_faults, 239285697u);
  EXPECT_EQ(s.memory->major_page_faults, 10647u);
  // The kernel's "no limit" value is no limit, not 8 EiB available.
  EXPECT_FALSE(s.memory->limit_bytes);
  EXPECT_FALSE(s.memory->AvailableBytes());
  ASSERT_TRUE(s.swap);
  EXPECT_EQ(s.swap->usage_bytes, 0u);
  EXPECT_FALSE(s.swap->limit_bytes);
  EXPECT_EQ(s.process_count, 17u);
}

TEST(CgroupReaderV2Test, CgroupfsContainerWithLimitsAndSwap) {
  CgroupSample s = MustRead(ReaderOf(kTestdata + "/v2", cgroups::Version::kV2), kCgroupfsPath);
  EXPECT_EQ(s.cpu_usage_ns, 272662u * 1000);  // usage_usec
  ASSERT_TRUE(s.memory);
  EXPECT_EQ(s.memory->usage_bytes, 75497472u);
  EXPECT_EQ(s.memory->working_set_bytes, 75497472u - 6291456u);  // - inactive_file
  EXPECT_EQ(s.memory->rss_bytes, 67108864u);                     // anon, not anon_thp
  EXPECT_EQ(s.memory->page_faults, 17436u);
  EXPECT_EQ(s.memory->major_page_faults, 12u);
  EXPECT_EQ(s.memory->limit_bytes, 268435456u);
  EXPECT_EQ(s.memory->AvailableBytes(), 268435456u - (75497472u - 6291456u));
  ASSERT_TRUE(s.swap);
  EXPECT_EQ(s.swap->usage_bytes, 1048576u);
  EXPECT_EQ(s.swap->limit_bytes, 33554432u);
  EXPECT_EQ(s.swap->AvailableBytes(), 33554432u - 1048576u);
  EXPECT_EQ(s.process_count, 2u);
}

TEST(CgroupReaderV2Test, SystemdScopeWithMaxLimitsClampsTheWorkingSet) {
  CgroupSample s = MustRead(ReaderOf(kTestdata + "/v2", cgroups::Version::kV2), kSystemdPath);
  EXPECT_EQ(s.cpu_usage_ns, uint64_t{9913400} * 1000);
  ASSERT_TRUE(s.memory);
  EXPECT_EQ(s.memory->usage_bytes, 10485760u);
  EXPECT_EQ(s.memory->working_set_bytes, 0u);  // inactive_file 12 MiB > usage 10 MiB
  EXPECT_EQ(s.memory->rss_bytes, 1048576u);
  EXPECT_FALSE(s.memory->limit_bytes);  // "max"
  ASSERT_TRUE(s.swap);
  EXPECT_EQ(s.swap->usage_bytes, 0u);
  EXPECT_FALSE(s.swap->limit_bytes);
  EXPECT_EQ(s.process_count, 17u);
}

TEST(CgroupReaderTest, AGoneCgroupIsNotFound) {
  for (auto [tree, version] :
       {std::pair{"/v1", cgroups::Version::kV1}, std::pair{"/v2", cgroups::Version::kV2}}) {
    Result<CgroupSample> s = ReaderOf(kTestdata + tree, version).Read("/berth/berth-gone");
    EXPECT_EQ(s.status().code(), Code::kNotFound) << tree;
  }
}

// A node without the pids controller, and without swap accounting: those
// parts are empty, the rest is there.
TEST(CgroupReaderTest, MissingControllersLeaveTheirPartEmpty) {
  Result<TempDir> tmp = TempDir::Create("/tmp", "berth-stats-");
  ASSERT_TRUE(tmp.ok());
  const std::string root = tmp->path();
  fs::copy(kTestdata + "/v1/cpuacct", root + "/cpuacct", fs::copy_options::recursive);
  fs::copy(kTestdata + "/v1/memory", root + "/memory", fs::copy_options::recursive);
  // Without swap accounting memory.stat has no swap lines.
  const std::string stat_file = root + "/memory/berth/berth-c1/memory.stat";
  std::ifstream in(stat_file);
  std::string kept;
  for (std::string line; std::getline(in, line);) {
    if (line.find("swap") == std::string::npos && line.find("memsw") == std::string::npos) {
      kept += line + "\n";
    }
  }
  in.close();
  std::ofstream(stat_file, std::ios::trunc) << kept;
  Result<CgroupSample> s = ReaderOf(root, cgroups::Version::kV1).Read(kCgroupfsPath);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_TRUE(s->cpu_usage_ns);
  EXPECT_TRUE(s->memory);
  EXPECT_FALSE(s->swap);
  EXPECT_FALSE(s->process_count);
  EXPECT_EQ(s->memory->limit_bytes, 268435456u);
}

TEST(WorkingSetTest, UsageMinusInactiveFileClampedAtZero) {
  EXPECT_EQ(WorkingSet(100, 30), 70u);
  EXPECT_EQ(WorkingSet(100, 100), 0u);
  EXPECT_EQ(WorkingSet(100, 130), 0u);
}

TEST(KeyedValueTest, MatchesWholeKeysOnly) {
  const std::string text = "anon_thp 5\nanon 7\nfile_mapped 9\nfile 11\nbad x\n";
  EXPECT_EQ(KeyedValue(text, "anon"), 7u);
  EXPECT_EQ(KeyedValue(text, "file"), 11u);
  EXPECT_EQ(KeyedValue(text, "file_mapped"), 9u);
  EXPECT_FALSE(KeyedValue(text, "missing"));
  EXPECT_FALSE(KeyedValue(text, "bad"));
  EXPECT_FALSE(KeyedValue(text, "an"));
}

TEST(AccumulateTest, SumsPartsAndDropsLimits) {
  CgroupSample a, b, total;
  a.cpu_usage_ns = 10;
  a.memory = MemoryStats{100, 60, 50, 7, 1, 1000};
  a.process_count = 2;
  b.cpu_usage_ns = 5;
  b.memory = MemoryStats{40, 40, 30, 3, 0, std::nullopt};
  b.swap = SwapStats{8, 64};
  Accumulate(a, &total);
  Accumulate(b, &total);
  EXPECT_EQ(total.cpu_usage_ns, 15u);
  ASSERT_TRUE(total.memory);
  EXPECT_EQ(total.memory->usage_bytes, 140u);
  EXPECT_EQ(total.memory->working_set_bytes, 100u);
  EXPECT_EQ(total.memory->rss_bytes, 80u);
  EXPECT_EQ(total.memory->page_faults, 10u);
  EXPECT_EQ(total.memory->major_page_faults, 1u);
  EXPECT_FALSE(total.memory->limit_bytes);
  ASSERT_TRUE(total.swap);
  EXPECT_EQ(total.swap->usage_bytes, 8u);
  EXPECT_FALSE(total.swap->limit_bytes);
  EXPECT_EQ(total.process_count, 2u);  // b had no pids figure
}

}  // namespace
}  // namespace berth::stats
