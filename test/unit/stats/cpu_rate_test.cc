#include "pkg/stats/cpu_rate.h"

#include <gtest/gtest.h>

namespace berth::stats {
namespace {

constexpr int64_t kSecond = 1000000000;

TEST(NanoCoresTest, UsageDeltaOverTimeDelta) {
  // Half a core: 0.5 s of CPU over 1 s.
  EXPECT_EQ(NanoCores(1000, 10 * kSecond, 1000 + kSecond / 2, 11 * kSecond), 500000000u);
  // Two cores busy for 10 s.
  EXPECT_EQ(NanoCores(0, 0, 20 * kSecond, 10 * kSecond), 2000000000u);
  // A year of CPU does not overflow.
  EXPECT_EQ(
      NanoCores(0, 0, uint64_t{365} * 24 * 3600 * kSecond, int64_t{365} * 24 * 3600 * kSecond),
      1000000000u);
  EXPECT_FALSE(NanoCores(500, kSecond, 400, 2 * kSecond));  // usage went backwards
  EXPECT_FALSE(NanoCores(500, kSecond, 600, kSecond));      // no time passed
}

TEST(CpuRateTrackerTest, FirstReadingHasNoRateTheSecondHas) {
  CpuRateTracker t(std::chrono::milliseconds(100));
  EXPECT_FALSE(t.Update("c1", 10 * kSecond, 5 * kSecond));
  EXPECT_EQ(t.Update("c1", 12 * kSecond, 6 * kSecond), kSecond / 2);  // 1 s over 2 s
  // Keys are independent.
  EXPECT_FALSE(t.Update("c2", 12 * kSecond, 0));
  // The next rate is from the reading kept last.
  EXPECT_EQ(t.Update("c1", 13 * kSecond, 7 * kSecond), uint64_t(kSecond));
}

TEST(CpuRateTrackerTest, ReadingsWithinTheWindowReuseTheLastRate) {
  CpuRateTracker t(std::chrono::seconds(1));
  EXPECT_FALSE(t.Update("c", 10 * kSecond, 0));
  EXPECT_FALSE(t.Update("c", 10 * kSecond + 1000, 999));  // no rate yet, nothing kept
  EXPECT_EQ(t.Update("c", 12 * kSecond, kSecond), kSecond / 2);
  // A reading 1 ms later would say 100 cores; it gets the kept rate.
  EXPECT_EQ(t.Update("c", 12 * kSecond + 1000000, kSecond + 100000000), kSecond / 2);
  // The window is measured from the kept reading, not the reused one.
  EXPECT_EQ(t.Update("c", 14 * kSecond, 2 * kSecond), kSecond / 2);
}

TEST(CpuRateTrackerTest, ARestartedCgroupStartsOver) {
  CpuRateTracker t(std::chrono::seconds(1));
  t.Update("c", 10 * kSecond, 50 * kSecond);
  EXPECT_EQ(t.Update("c", 12 * kSecond, 52 * kSecond), uint64_t(kSecond));
  EXPECT_FALSE(t.Update("c", 12 * kSecond + 1000, 1000));  // new cgroup, low usage
  EXPECT_EQ(t.Update("c", 14 * kSecond + 1000, 1000 + kSecond), kSecond / 2);
}

TEST(CpuRateTrackerTest, RetainForgetsTheRest) {
  CpuRateTracker t;
  t.Update("keep", kSecond, 0);
  t.Update("drop", kSecond, 0);
  t.Retain([](const std::string& k) { return k == "keep"; });
  EXPECT_EQ(t.size(), 1u);
  EXPECT_FALSE(t.Update("drop", 3 * kSecond, kSecond));  // first reading again
  EXPECT_EQ(t.Update("keep", 3 * kSecond, kSecond), kSecond / 2);
}

}  // namespace
}  // namespace berth::stats
