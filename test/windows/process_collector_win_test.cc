// ProcessCollector's Windows build reads the live process's own counters: its
// figures follow what the process does (threads started), are plausible, and
// a proc_dir naming no process yields nothing. Open handles:
// process_handles_win_test.cc (Windows only).
#include <windows.h>

#include <gtest/gtest.h>

#include <condition_variable>
#include <ctime>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "pkg/metrics/process_collector.h"

namespace berth::metrics {
namespace {

double Value(const std::string& name, const std::string& proc_dir = "/proc/self") {
  for (const auto& f : ProcessCollector(proc_dir).Collect()) {
    if (f.name != name) continue;
    EXPECT_EQ(f.metric.size(), 1u) << name;
    return f.type == prometheus::MetricType::Counter ? f.metric[0].counter.value
                                                     : f.metric[0].gauge.value;
  }
  ADD_FAILURE() << name << " not collected from " << proc_dir;
  return -1;
}

TEST(ProcessCollectorWinTest, ThreadsFollowTheProcess) {
  const double before = Value("process_threads");
  EXPECT_GE(before, 1);
  // A mutex and condition variable rather than std::latch, whose wait hangs
  // with GCC 12's mingw-w64 runtime under Wine.
  std::mutex mu;
  std::condition_variable cv;
  int started = 0;
  bool release = false;
  std::vector<std::thread> threads;
  for (int i = 0; i < 3; ++i) {
    threads.emplace_back([&] {
      std::unique_lock lock(mu);
      ++started;
      cv.notify_all();
      cv.wait(lock, [&] { return release; });
    });
  }
  {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return started == 3; });
  }
  EXPECT_EQ(Value("process_threads"), before + 3);
  {
    std::lock_guard lock(mu);
    release = true;
  }
  cv.notify_all();
  for (std::thread& t : threads) t.join();
}

TEST(ProcessCollectorWinTest, MemoryCpuAndStartTimeArePlausible) {
  const double rss = Value("process_resident_memory_bytes");
  EXPECT_GT(rss, 1 << 20);
  EXPECT_GE(Value("process_virtual_memory_bytes"), rss);
  // Some CPU time has been spent by the time the tests run.
  volatile double sink = 0;
  for (int i = 0; i < 20'000'000; ++i) sink = sink + i;
  EXPECT_GT(Value("process_cpu_seconds_total"), 0);
  const double start = Value("process_start_time_seconds");
  EXPECT_LE(start, double(std::time(nullptr)) + 1);
  EXPECT_GT(start, double(std::time(nullptr)) - 3600)
      << "this test process started within the hour";
}

TEST(ProcessCollectorWinTest, ProcPidNamesTheProcess) {
  const std::string self = "/proc/" + std::to_string(::GetCurrentProcessId());
  EXPECT_GT(Value("process_resident_memory_bytes", self), 1 << 20);
  EXPECT_GE(Value("process_threads", self), 1);
}

TEST(ProcessCollectorWinTest, ProcPidReadsAnotherProcess) {
  // A suspended copy of this executable: a process of one thread that runs
  // nothing until it is terminated below.
  wchar_t exe[MAX_PATH];
  ASSERT_GT(::GetModuleFileNameW(nullptr, exe, MAX_PATH), 0u);
  STARTUPINFOW startup{};
  startup.cb = sizeof(startup);
  PROCESS_INFORMATION child{};
  ASSERT_TRUE(::CreateProcessW(exe, nullptr, nullptr, nullptr, FALSE, CREATE_SUSPENDED, nullptr,
                               nullptr, &startup, &child))
      << ::GetLastError();
  const std::string dir = "/proc/" + std::to_string(child.dwProcessId);
  EXPECT_EQ(Value("process_threads", dir), 1);
  EXPECT_GT(Value("process_virtual_memory_bytes", dir), 0);
  const double start = Value("process_start_time_seconds", dir);
  EXPECT_GE(start, Value("process_start_time_seconds") - 1) << "started after this process";
  EXPECT_LE(start, double(std::time(nullptr)) + 1);
  ::TerminateProcess(child.hProcess, 0);
  ::WaitForSingleObject(child.hProcess, INFINITE);
  ::CloseHandle(child.hThread);
  ::CloseHandle(child.hProcess);
}

TEST(ProcessCollectorWinTest, ProcDirNamingNoProcessLeavesFiguresOut) {
  EXPECT_TRUE(ProcessCollector("/nonexistent/proc").Collect().empty());
  EXPECT_TRUE(ProcessCollector("/proc/12x").Collect().empty());
  EXPECT_TRUE(ProcessCollector("/proc/").Collect().empty());
}

}  // namespace
}  // namespace berth::metrics
