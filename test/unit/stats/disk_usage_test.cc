#include "pkg/stats/disk_usage.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "pkg/fs/temp_dir.h"

namespace berth::stats {
namespace {

namespace fs = std::filesystem;

// Random bytes, so no filesystem can compress or dedupe them away.
void WriteRandom(const std::string& path, size_t bytes) {
  std::mt19937_64 gen(bytes);
  std::string data(bytes, '\0');
  for (char& c : data) c = static_cast<char>(gen());
  std::ofstream(path, std::ios::binary) << data;
}

DiskUsage Measure(const std::string& dir) {
  Result<DiskUsage> u = MeasureDiskUsage(dir);
  EXPECT_TRUE(u.ok()) << u.status().ToString();
  return u.ok() ? *u : DiskUsage{};
}

class DiskUsageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<TempDir> t = TempDir::Create("/tmp", "berth-du-");
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    tmp_.emplace(std::move(*t));
    tree_ = tmp_->path() + "/tree";
    outside_ = tmp_->path() + "/outside";
    fs::create_directories(tree_ + "/a/b");
    fs::create_directories(outside_);
    WriteRandom(tree_ + "/a/one-mib", 1 << 20);
    WriteRandom(tree_ + "/a/b/small", 100);
    WriteRandom(outside_ + "/big", 4 << 20);
  }

  std::optional<TempDir> tmp_;
  std::string tree_, outside_;
};

TEST_F(DiskUsageTest, CountsEveryInodeAndItsAllocatedBytes) {
  DiskUsage u = Measure(tree_);
  EXPECT_EQ(u.inodes, 5u);  // tree, a, a/b, one-mib, small
  EXPECT_GE(u.bytes, uint64_t{1} << 20);
  // Growing a file by 2 MiB grows the figure by at least that.
  WriteRandom(tree_ + "/a/three-mib", 3 << 20);
  DiskUsage grown = Measure(tree_);
  EXPECT_EQ(grown.inodes, 6u);
  EXPECT_GE(grown.bytes, u.bytes + (uint64_t{3} << 20));
}

TEST_F(DiskUsageTest, HardLinksCountOnce) {
  DiskUsage before = Measure(tree_);
  fs::create_hard_link(tree_ + "/a/one-mib", tree_ + "/a/b/same-file");
  fs::create_hard_link(tree_ + "/a/one-mib", tree_ + "/again");
  DiskUsage after = Measure(tree_);
  EXPECT_EQ(after.inodes, before.inodes);
  EXPECT_EQ(after.bytes, before.bytes);
}

TEST_F(DiskUsageTest, SymlinksCountAsThemselvesAndAreNotFollowed) {
  DiskUsage before = Measure(tree_);
  fs::create_symlink(outside_ + "/big", tree_ + "/to-file");
  fs::create_directory_symlink(outside_, tree_ + "/to-dir");
  DiskUsage after = Measure(tree_);
  EXPECT_EQ(after.inodes, before.inodes + 2);
  EXPECT_LT(after.bytes, before.bytes + (uint64_t{4} << 20));
  // A symlinked root is refused rather than followed.
  EXPECT_FALSE(MeasureDiskUsage(tree_ + "/to-dir").ok());
}

TEST_F(DiskUsageTest, StepsOfAnySizeAddUpToTheWholeWalk) {
  for (int i = 0; i < 20; ++i) WriteRandom(tree_ + "/a/b/f" + std::to_string(i), 5000);
  const DiskUsage whole = Measure(tree_);
  Result<std::unique_ptr<DiskUsageWalk>> walk = DiskUsageWalk::Begin(tree_);
  ASSERT_TRUE(walk.ok()) << walk.status().ToString();
  int steps = 0;
  while (!(*walk)->done()) {
    size_t visited = (*walk)->Step(3);
    ASSERT_LE(visited, 3u);
    ++steps;
  }
  EXPECT_GE(steps, 9);  // 24 entries below the root, at most 3 per step
  EXPECT_EQ((*walk)->usage().inodes, whole.inodes);
  EXPECT_EQ((*walk)->usage().bytes, whole.bytes);
}

TEST_F(DiskUsageTest, MissingDirectoryIsAnError) {
  Result<DiskUsage> u = MeasureDiskUsage(tree_ + "/nope");
  ASSERT_FALSE(u.ok());
  EXPECT_NE(u.status().message().find(tree_ + "/nope"), std::string::npos);
}

// Writes "0 <id> 1" into a user namespace map file of this process.
bool MapId(const char* file, unsigned id) {
  int fd = open(file, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  std::string line = "0 " + std::to_string(id) + " 1\n";
  bool ok = write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  close(fd);
  return ok;
}

// In a child with a mount namespace of its own (a user namespace too when not
// root): a tmpfs with a file mounted on tree/mnt, and tree/a bind-mounted on
// tree/bind (the same filesystem, so the same st_dev). Neither is entered or
// counted: the walk sees two directories fewer, and not the bound file twice.
TEST_F(DiskUsageTest, DoesNotCrossMounts) {
  fs::create_directory(tree_ + "/mnt");
  fs::create_directory(tree_ + "/bind");
  const DiskUsage before = Measure(tree_);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const uid_t uid = geteuid();
    const gid_t gid = getegid();
    if (uid != 0) {
      if (unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) _exit(77);
      std::ofstream("/proc/self/setgroups") << "deny";
      if (!MapId("/proc/self/uid_map", uid) || !MapId("/proc/self/gid_map", gid)) _exit(77);
    } else if (unshare(CLONE_NEWNS) != 0) {
      _exit(77);
    }
    if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) _exit(77);
    if (mount("tmpfs", (tree_ + "/mnt").c_str(), "tmpfs", 0, "size=16m") != 0) _exit(77);
    WriteRandom(tree_ + "/mnt/hidden", 2 << 20);
    if (mount((tree_ + "/a").c_str(), (tree_ + "/bind").c_str(), nullptr, MS_BIND, nullptr) != 0) {
      _exit(77);
    }
    Result<DiskUsage> after = MeasureDiskUsage(tree_);
    if (!after.ok()) _exit(2);
    if (after->inodes != before.inodes - 2) _exit(3);
    if (after->bytes > before.bytes) _exit(4);
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  // Fails loudly rather than skipping: a test that cannot run is not a pass.
  ASSERT_NE(WEXITSTATUS(status), 77)
      << "cannot test: no mount namespace for this user (run as root)";
  EXPECT_EQ(WEXITSTATUS(status), 0)
      << "2: walk failed, 3: a mount point was counted or entered, 4: bytes of a mount counted";
}

}  // namespace
}  // namespace berth::stats
