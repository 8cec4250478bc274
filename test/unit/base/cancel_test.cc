#include "pkg/base/cancel.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace berth {
namespace {

using namespace std::chrono_literals;
using Clock = CancelToken::Clock;

TEST(CancelTokenTest, DefaultTokenIsNeverCancelled) {
  CancelToken token;
  EXPECT_FALSE(token.cancelled());
  EXPECT_TRUE(token.Check("pull x").ok());
  EXPECT_FALSE(token.deadline().has_value());
  EXPECT_TRUE(token.SleepFor(1ms));
}

TEST(CancelTokenTest, SourceCancelsEveryTokenItHandedOut) {
  CancelSource source;
  CancelToken a = source.token();
  CancelToken b = a;
  EXPECT_FALSE(a.cancelled());
  source.Cancel();
  EXPECT_TRUE(a.cancelled());
  EXPECT_TRUE(b.cancelled());
  Status s = b.Check("pull x");
  EXPECT_EQ(s.code(), Code::kCancelled);
  EXPECT_EQ(s.message(), "pull x: cancelled");
}

TEST(CancelTokenTest, DeadlineCancelsWithDeadlineExceeded) {
  CancelToken past = CancelToken().WithDeadline(Clock::now() - 1ms);
  EXPECT_TRUE(past.cancelled());
  EXPECT_EQ(past.Check("pull x").code(), Code::kDeadlineExceeded);
  CancelToken future = CancelToken().WithDeadline(Clock::now() + 1h);
  EXPECT_FALSE(future.cancelled());
}

TEST(CancelTokenTest, EarliestDeadlineOfTheChainWins) {
  const auto soon = Clock::now() + 1min;
  CancelToken t = CancelToken().WithDeadline(soon).WithDeadline(soon + 1h);
  ASSERT_TRUE(t.deadline().has_value());
  EXPECT_EQ(*t.deadline(), soon);
}

TEST(CancelTokenTest, ProbeIsPolled) {
  std::atomic<bool> gone{false};
  CancelToken t = CancelToken().WithProbe([&] { return gone.load(); });
  EXPECT_FALSE(t.cancelled());
  gone = true;
  EXPECT_TRUE(t.cancelled());
  EXPECT_EQ(t.Check("x").code(), Code::kCancelled);
}

TEST(CancelTokenTest, ChildSourceFollowsItsParentButNotTheOtherWay) {
  CancelSource parent;
  CancelSource child(parent.token());
  child.Cancel();
  EXPECT_TRUE(child.cancelled());
  EXPECT_FALSE(parent.cancelled());

  CancelSource child2(parent.token());
  parent.Cancel();
  EXPECT_TRUE(child2.cancelled());
}

TEST(CancelTokenTest, SleepForEndsSoonAfterCancel) {
  CancelSource source;
  std::thread canceller([&] {
    std::this_thread::sleep_for(50ms);  // the event under test is the cancel itself
    source.Cancel();
  });
  const auto start = Clock::now();
  EXPECT_FALSE(source.token().SleepFor(1h));
  EXPECT_LT(Clock::now() - start, 10s);
  canceller.join();
}

}  // namespace
}  // namespace berth
