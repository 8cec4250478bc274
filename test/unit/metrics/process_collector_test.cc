// ProcessCollector reads the live process: its figures follow what the
// process does (fds opened, threads started) and are plausible.
#include "pkg/metrics/process_collector.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <latch>
#include <thread>
#include <vector>

namespace berth::metrics {
namespace {

double Value(const std::string& name) {
  for (const auto& f : ProcessCollector().Collect()) {
    if (f.name != name) continue;
    EXPECT_EQ(f.metric.size(), 1u) << name;
    return f.type == prometheus::MetricType::Counter ? f.metric[0].counter.value
                                                     : f.metric[0].gauge.value;
  }
  ADD_FAILURE() << name << " not collected";
  return -1;
}

TEST(ProcessCollectorTest, OpenFdsFollowTheProcess) {
  const double before = Value("process_open_fds");
  std::vector<int> fds;
  for (int i = 0; i < 10; ++i) fds.push_back(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  EXPECT_EQ(Value("process_open_fds"), before + 10);
  for (int fd : fds) ::close(fd);
  EXPECT_EQ(Value("process_open_fds"), before);
  EXPECT_GE(Value("process_max_fds"), before + 10);
}

TEST(ProcessCollectorTest, ThreadsFollowTheProcess) {
  const double before = Value("process_threads");
  std::latch started(3), release(1);
  std::vector<std::jthread> threads;
  for (int i = 0; i < 3; ++i) {
    threads.emplace_back([&] {
      started.count_down();
      release.wait();
    });
  }
  started.wait();
  EXPECT_EQ(Value("process_threads"), before + 3);
  release.count_down();
}

TEST(ProcessCollectorTest, MemoryCpuAndStartTimeArePlausible) {
  const double rss = Value("process_resident_memory_bytes");
  EXPECT_GT(rss, 1 << 20);
  EXPECT_GE(Value("process_virtual_memory_bytes"), rss);
  EXPECT_GE(Value("process_cpu_seconds_total"), 0);
  const double start = Value("process_start_time_seconds");
  EXPECT_LE(start, double(::time(nullptr)) + 1);
  EXPECT_GT(start, double(::time(nullptr)) - 3600) << "this test process started within the hour";
}

TEST(ProcessCollectorTest, UnreadableProcDirLeavesFiguresOut) {
  EXPECT_TRUE(ProcessCollector("/nonexistent/proc").Collect().empty());
}

}  // namespace
}  // namespace berth::metrics
