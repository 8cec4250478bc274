// CallTracker: a call still running past the threshold is reported once with
// its step, a quick call never is, and a finished call stops being reported.
#include "daemon/call_tracker.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <condition_variable>
#include <mutex>
#include <vector>

namespace berth::daemon {
namespace {

using namespace std::chrono_literals;

// Keeps the formatted lines and lets a test wait for one (no sleeping).
class WaitableSink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  // True when a line containing `text` arrived within `timeout`.
  bool WaitFor(const std::string& text, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return Has(text); });
  }
  size_t Count(const std::string& text) {
    std::lock_guard lock(mu_);
    size_t n = 0;
    for (const auto& l : lines_) n += l.find(text) != std::string::npos;
    return n;
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t buf;
    formatter_->format(msg, buf);
    {
      std::lock_guard lock(mu_);
      lines_.emplace_back(buf.data(), buf.size());
    }
    cv_.notify_all();
  }
  void flush_() override {}

 private:
  bool Has(const std::string& text) const {
    for (const auto& l : lines_) {
      if (l.find(text) != std::string::npos) return true;
    }
    return false;
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> lines_;  // guarded by mu_
};

class CallTrackerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sink_ = std::make_shared<WaitableSink>();
    previous_ = spdlog::default_logger();
    auto logger = std::make_shared<spdlog::logger>("tracker-test", sink_);
    logger->set_formatter(CallAwareFormatter("%l %*%v"));
    spdlog::set_default_logger(logger);
  }
  void TearDown() override { spdlog::set_default_logger(previous_); }

  std::shared_ptr<WaitableSink> sink_;
  std::shared_ptr<spdlog::logger> previous_;
};

TEST_F(CallTrackerTest, SlowCallIsReportedWithItsStep) {
  CallTracker tracker(50ms, 1h);
  auto call = std::make_shared<CallContext>("RuntimeService.RunPodSandbox");
  call->SetStep("4 attach the pod network");
  tracker.Add(call);
  ASSERT_TRUE(sink_->WaitFor("still running", 10s));
  EXPECT_EQ(sink_->Count("at step: 4 attach the pod network"), 1u);
  EXPECT_EQ(sink_->Count("warning [req=" + call->request_id()), 1u)
      << "the report carries the call's prefix";
  EXPECT_EQ(sink_->Count("rpc RuntimeService.RunPodSandbox still running"), 1u);
  tracker.Remove(call.get());
}

TEST_F(CallTrackerTest, QuickCallIsNotReportedButASlowOneAfterItIs) {
  CallTracker tracker(200ms, 1h);
  auto quick = std::make_shared<CallContext>("RuntimeService.Version");
  tracker.Add(quick);
  tracker.Remove(quick.get());
  // A later slow call's report proves the watchdog ran past the quick one's
  // deadline without reporting it.
  auto slow = std::make_shared<CallContext>("ImageService.PullImage");
  tracker.Add(slow);
  ASSERT_TRUE(sink_->WaitFor("rpc ImageService.PullImage still running", 10s));
  EXPECT_EQ(sink_->Count("RuntimeService.Version"), 0u);
  EXPECT_EQ(sink_->Count("(none marked)"), 1u);
  tracker.Remove(slow.get());
}

TEST_F(CallTrackerTest, ReportRepeatsWhileTheCallRuns) {
  CallTracker tracker(20ms, 20ms);
  auto call = std::make_shared<CallContext>("RuntimeService.ExecSync");
  tracker.Add(call);
  ASSERT_TRUE(sink_->WaitFor("still running", 10s));
  call->SetStep("2 run the command");
  ASSERT_TRUE(sink_->WaitFor("at step: 2 run the command", 10s));
  tracker.Remove(call.get());
}

}  // namespace
}  // namespace berth::daemon
