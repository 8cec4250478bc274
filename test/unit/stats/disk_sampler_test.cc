#include "pkg/stats/disk_sampler.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "pkg/fs/temp_dir.h"

namespace berth::stats {
namespace {

namespace fs = std::filesystem;

class DiskSamplerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<TempDir> t = TempDir::Create("/tmp", "berth-sampler-");
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    tmp_.emplace(std::move(*t));
  }

  // A tree of `files` small files; returns its path.
  std::string Tree(const std::string& name, int files) {
    const std::string dir = tmp_->path() + "/" + name;
    fs::create_directories(dir);
    for (int i = 0; i < files; ++i) std::ofstream(dir + "/f" + std::to_string(i)) << "data";
    return dir;
  }

  // The sampler's targets, as the test sets them.
  DiskUsageSampler::ListTargets List() {
    return [this] {
      std::lock_guard<std::mutex> lock(mu_);
      return targets_;
    };
  }
  void SetTargets(std::vector<DiskUsageSampler::Target> t) {
    std::lock_guard<std::mutex> lock(mu_);
    targets_ = std::move(t);
  }

  std::optional<TempDir> tmp_;
  std::mutex mu_;
  std::vector<DiskUsageSampler::Target> targets_;
};

TEST_F(DiskSamplerTest, ARoundMeasuresEveryTargetAndForgetsGoneOnes) {
  const std::string a = Tree("a", 3), b = Tree("b", 1);
  SetTargets({{"a", a}, {"b", b}, {"missing", tmp_->path() + "/none"}});
  DiskUsageSampler sampler(List(), {std::chrono::hours(1), 1000});
  EXPECT_FALSE(sampler.Get("a"));  // nothing before the first round
  sampler.RunRound();
  ASSERT_TRUE(sampler.Get("a"));
  ASSERT_TRUE(sampler.Get("b"));
  EXPECT_FALSE(sampler.Get("missing"));
  EXPECT_EQ(sampler.Get("a")->usage.inodes, 4u);
  EXPECT_EQ(sampler.Get("b")->usage.inodes, 2u);
  EXPECT_GT(sampler.Get("a")->timestamp_ns, 0);

  std::ofstream(a + "/more") << "x";
  SetTargets({{"a", a}});
  sampler.RunRound();
  EXPECT_EQ(sampler.Get("a")->usage.inodes, 5u);
  EXPECT_FALSE(sampler.Get("b"));
}

TEST_F(DiskSamplerTest, ABudgetSpreadsWalksOverRoundsAndEveryTargetGetsItsTurn) {
  const std::string big = Tree("big", 10), small = Tree("small", 1);
  SetTargets({{"big", big}, {"small", small}});
  // 11 entries below the two roots, 3 per round.
  DiskUsageSampler sampler(List(), {std::chrono::hours(1), 3});
  sampler.RunRound();
  sampler.RunRound();
  sampler.RunRound();
  EXPECT_FALSE(sampler.Get("big")) << "a walk is published only when it ends";
  sampler.RunRound();  // big's last entry, then small
  ASSERT_TRUE(sampler.Get("big"));
  ASSERT_TRUE(sampler.Get("small"));
  EXPECT_EQ(sampler.Get("big")->usage.inodes, 11u);
  EXPECT_EQ(sampler.Get("small")->usage.inodes, 2u);
  Result<DiskUsage> whole = MeasureDiskUsage(big);
  ASSERT_TRUE(whole.ok());
  EXPECT_EQ(sampler.Get("big")->usage.bytes, whole->bytes);
}

TEST_F(DiskSamplerTest, TheThreadSamplesAtOnceAndStopsWithoutWaitingOutTheInterval) {
  SetTargets({{"a", Tree("a", 2)}});
  DiskUsageSampler sampler(List(), {std::chrono::hours(1), 1000});
  sampler.Start();
  // The first round runs at start; poll for its result with a deadline.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!sampler.Get("a") && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(sampler.Get("a"));
  EXPECT_EQ(sampler.Get("a")->usage.inodes, 3u);
  // With an hour's interval, Stop returns only because it wakes the thread.
  sampler.Stop();
  sampler.Stop();  // idempotent
}

}  // namespace
}  // namespace berth::stats
