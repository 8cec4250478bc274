// PeriodicThread: work at Start, again every interval, and a Stop that does
// not wait the interval out.
#include "pkg/base/periodic_thread.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>

namespace berth {
namespace {

using std::chrono::milliseconds;

// Counts runs; waiters block until a count is reached.
class RunCounter {
 public:
  void Run() {
    std::lock_guard<std::mutex> lock(mu_);
    ++runs_;
    changed_.notify_all();
  }
  bool WaitFor(int runs) {
    std::unique_lock<std::mutex> lock(mu_);
    return changed_.wait_for(lock, std::chrono::seconds(30), [&] { return runs_ >= runs; });
  }
  int runs() {
    std::lock_guard<std::mutex> lock(mu_);
    return runs_;
  }

 private:
  std::mutex mu_;
  std::condition_variable changed_;
  int runs_ = 0;
};

TEST(PeriodicThreadTest, RunsAtStartThenEveryInterval) {
  RunCounter counter;
  PeriodicThread thread(milliseconds(10), [&] { counter.Run(); });
  thread.Start();
  EXPECT_TRUE(counter.WaitFor(3));
  thread.Stop();
  EXPECT_TRUE(thread.stopping());
}

TEST(PeriodicThreadTest, StopWakesTheThreadAndItMayStartAgain) {
  RunCounter counter;
  PeriodicThread thread(std::chrono::hours(1), [&] { counter.Run(); });
  thread.Start();
  thread.Start();  // running already: no second thread
  ASSERT_TRUE(counter.WaitFor(1));
  // With an hour's interval, Stop returns only because it wakes the thread.
  thread.Stop();
  thread.Stop();  // idempotent
  EXPECT_EQ(counter.runs(), 1);
  thread.Start();
  EXPECT_FALSE(thread.stopping());
  EXPECT_TRUE(counter.WaitFor(2));
}

}  // namespace
}  // namespace berth
