// ProcessCollector's process_open_fds on Windows: the process's handle count
// follows the handles it opens and closes. Built, not run under Wine, whose
// GetProcessHandleCount answers 0 whatever the process holds; run it on
// Windows.
#include <windows.h>

#include <gtest/gtest.h>

#include <optional>
#include <vector>

#include "pkg/metrics/process_collector.h"

namespace berth::metrics {
namespace {

std::optional<double> OpenHandles() {
  for (const auto& f : ProcessCollector().Collect()) {
    if (f.name == "process_open_fds") return f.metric.at(0).gauge.value;
  }
  return std::nullopt;
}

TEST(ProcessHandlesWinTest, OpenHandlesFollowTheProcess) {
  const std::optional<double> before = OpenHandles();
  ASSERT_TRUE(before.has_value()) << "process_open_fds not collected";
  std::vector<HANDLE> handles;
  for (int i = 0; i < 10; ++i) {
    HANDLE h = ::CreateEventW(nullptr, TRUE, FALSE, nullptr);
    ASSERT_NE(h, nullptr);
    handles.push_back(h);
  }
  EXPECT_EQ(OpenHandles(), *before + 10);
  for (HANDLE h : handles) ::CloseHandle(h);
  EXPECT_EQ(OpenHandles(), *before);
}

}  // namespace
}  // namespace berth::metrics
