// ParseRunscStatsEvent: runsc's per-container stats event as a reading.
#include "pkg/stats/runsc_stats.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace berth::stats {
namespace {

using ::testing::HasSubstr;

TEST(RunscStatsTest, ReadsCpuMemoryAndPids) {
  // Shaped as runsc 20221219 prints it for a busybox shell.
  auto r = ParseRunscStatsEvent(
      R"({"type":"stats","id":"abc","data":{"cpu":{"usage":{"total":123456789}},)"
      R"("memory":{"cache":0,"usage":{"limit":0,"usage":4567890,"failcnt":0},)"
      R"("swap":{"limit":0,"failcnt":0}},"pids":{"current":2},"RootFs":{"time":1}}})",
      42);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->timestamp_ns, 42);
  EXPECT_EQ(r->cpu_usage_ns, 123456789u);
  ASSERT_TRUE(r->memory.has_value());
  EXPECT_EQ(r->memory->usage_bytes, 4567890u);
  EXPECT_EQ(r->memory->working_set_bytes, 4567890u);
  EXPECT_FALSE(r->memory->limit_bytes.has_value());
  EXPECT_EQ(r->process_count, 2u);
  EXPECT_FALSE(r->swap.has_value());
}

// runsc leaves zero figures out (Go's omitempty): they read as 0.
TEST(RunscStatsTest, OmittedFiguresAreZero) {
  auto r = ParseRunscStatsEvent(R"({"type":"stats","id":"abc","data":{"cpu":{"usage":{}}}})", 1);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->cpu_usage_ns, 0u);
  EXPECT_EQ(r->memory->usage_bytes, 0u);
  EXPECT_EQ(r->process_count, 0u);
}

TEST(RunscStatsTest, RefusesWhatIsNotAStatsEvent) {
  const std::pair<const char*, const char*> cases[] = {
      {"", "not a JSON object"},
      {"[1]", "not a JSON object"},
      {R"({"type":"oom","id":"abc","data":{}})", "not a stats event"},
      {R"({"type":"stats","id":"abc"})", "not a stats event"},
      {R"({"type":"stats","data":{"cpu":{"usage":{"total":-5}}}})",
       "cpu.usage.total is not a count"},
      {R"({"type":"stats","data":{"memory":"lots"}})", "memory is not an object"},
  };
  for (const auto& [text, message] : cases) {
    auto r = ParseRunscStatsEvent(text, 1);
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_THAT(r.status().message(), HasSubstr(message)) << text;
  }
}

}  // namespace
}  // namespace berth::stats
