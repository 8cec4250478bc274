// GetContainerEvents' loop on a hub of its own: it writes events in order,
// and however it ends (client cancelled, write failed, dropped, closed) it
// unsubscribes and says why with the right code.
#include "daemon/event_stream.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>

namespace berth::daemon {
namespace {

namespace rt = runtime::v1;
constexpr auto kLong = std::chrono::seconds(10);
constexpr auto kFastPoll = std::chrono::milliseconds(5);

rt::ContainerEventResponse Event(const std::string& id) {
  rt::ContainerEventResponse e;
  e.set_container_id(id);
  return e;
}

ContainerEventHub::Options Capacity(size_t n) {
  ContainerEventHub::Options o;
  o.queue_capacity = n;
  return o;
}

// StreamEvents says when it has subscribed; the hub then counts it.
struct Subscribed {
  std::promise<void> promise;
  std::function<void()> Callback() {
    return [this] { promise.set_value(); };
  }
  void Wait(ContainerEventHub& hub) {
    ASSERT_EQ(promise.get_future().wait_for(kLong), std::future_status::ready);
    ASSERT_EQ(hub.subscriber_count(), 1u);
  }
};

// Runs StreamEvents on its own thread; `written` collects what it writes.
struct Stream {
  std::atomic<bool> cancelled{false};
  std::atomic<bool> write_fails{false};
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::string> written;  // guarded by mu
  std::future<Status> result;
  Subscribed subscribed;

  void Start(ContainerEventHub& hub) {
    result = std::async(std::launch::async, [&] {
      return StreamEvents(
          hub, "test", subscribed.Callback(), [&] { return cancelled.load(); },
          [&](const rt::ContainerEventResponse& e) {
            if (write_fails) return false;
            std::lock_guard<std::mutex> l(mu);
            written.push_back(e.container_id());
            cv.notify_all();
            return true;
          },
          kFastPoll);
    });
  }
  // Waits until `n` events were written (fails the test at the deadline).
  bool WaitWritten(size_t n) {
    std::unique_lock<std::mutex> l(mu);
    return cv.wait_for(l, kLong, [&] { return written.size() >= n; });
  }
};

TEST(EventStreamTest, WritesEventsInOrderAndUnsubscribesWhenTheClientCancels) {
  ContainerEventHub hub(Capacity(16));
  Stream s;
  s.Start(hub);
  ASSERT_NO_FATAL_FAILURE(s.subscribed.Wait(hub));
  hub.Publish(Event("a"));
  hub.Publish(Event("b"));
  hub.Publish(Event("c"));
  ASSERT_TRUE(s.WaitWritten(3));
  EXPECT_EQ(s.written, (std::vector<std::string>{"a", "b", "c"}));
  s.cancelled = true;
  ASSERT_EQ(s.result.wait_for(kLong), std::future_status::ready);
  EXPECT_EQ(s.result.get().code(), Code::kCancelled);
  EXPECT_EQ(hub.subscriber_count(), 0u);
}

TEST(EventStreamTest, AFailedWriteEndsTheStream) {
  ContainerEventHub hub(Capacity(16));
  Stream s;
  s.write_fails = true;
  s.Start(hub);
  ASSERT_NO_FATAL_FAILURE(s.subscribed.Wait(hub));
  hub.Publish(Event("a"));
  ASSERT_EQ(s.result.wait_for(kLong), std::future_status::ready);
  EXPECT_EQ(s.result.get().code(), Code::kCancelled);
  EXPECT_EQ(hub.subscriber_count(), 0u);
}

TEST(EventStreamTest, ADroppedSubscriberEndsWithResourceExhausted) {
  ContainerEventHub hub(Capacity(2));
  // A write that blocks until released stands for a client that stops reading.
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<int> writes{0};
  Subscribed subscribed;
  auto result = std::async(std::launch::async, [&] {
    return StreamEvents(
        hub, "slow", subscribed.Callback(), [] { return false; },
        [&](const rt::ContainerEventResponse&) {
          ++writes;
          released.wait();
          return true;
        },
        kFastPoll);
  });
  ASSERT_NO_FATAL_FAILURE(subscribed.Wait(hub));
  // One event in the stuck write, then the queue fills and overflows.
  for (int i = 0; i < 5; ++i) hub.Publish(Event(std::to_string(i)));
  EXPECT_EQ(hub.subscriber_count(), 0u) << "the publisher should have dropped it";
  release.set_value();
  ASSERT_EQ(result.wait_for(kLong), std::future_status::ready);
  Status st = result.get();
  EXPECT_EQ(st.code(), Code::kResourceExhausted);
  EXPECT_NE(st.message().find("slow"), std::string::npos) << st.message();
}

TEST(EventStreamTest, ClosingTheHubEndsTheStreamAsUnavailable) {
  ContainerEventHub hub(Capacity(2));
  Stream s;
  s.Start(hub);
  ASSERT_NO_FATAL_FAILURE(s.subscribed.Wait(hub));
  hub.Close();
  ASSERT_EQ(s.result.wait_for(kLong), std::future_status::ready);
  EXPECT_EQ(s.result.get().code(), Code::kUnavailable);
}

}  // namespace
}  // namespace berth::daemon
