// EventHub: every subscriber sees every event in publication order; one that
// does not read is dropped once its queue is full while the publisher goes
// on; subscriptions end on destruction and on Close; start-up events wait for
// subscribers for the replay window only.
#include "pkg/events/event_hub.h"

#include <gtest/gtest.h>

#include <future>
#include <thread>

namespace berth::events {
namespace {

using Hub = EventHub<int>;
constexpr auto kNoWait = std::chrono::milliseconds(0);
// Only bounds a wait that should end at once; never reached when it works.
constexpr auto kLong = std::chrono::milliseconds(10000);

Hub::Options Capacity(size_t n) {
  Hub::Options o;
  o.queue_capacity = n;
  return o;
}

// Reads everything queued now.
std::vector<int> Drain(Hub::Subscription& sub) {
  std::vector<int> out;
  Hub::EventPtr e;
  while (sub.Wait(kNoWait, &e) == Next::kEvent) out.push_back(*e);
  return out;
}

TEST(EventHubTest, EverySubscriberSeesEveryEventInOrder) {
  Hub hub(Capacity(1000));
  auto a = hub.Subscribe("a");
  auto b = hub.Subscribe("b");
  // Publishers on two threads: whatever order the hub takes, both see it.
  std::thread odd([&] {
    for (int i = 1; i < 200; i += 2) hub.Publish(i);
  });
  for (int i = 0; i < 200; i += 2) hub.Publish(i);
  odd.join();
  std::vector<int> seen_a = Drain(*a), seen_b = Drain(*b);
  ASSERT_EQ(seen_a.size(), 200u);
  EXPECT_EQ(seen_a, seen_b);
  // Each publisher's own events keep their order.
  int last_even = -2, last_odd = -1;
  for (int v : seen_a) {
    int& last = v % 2 ? last_odd : last_even;
    EXPECT_EQ(v, last + 2);
    last = v;
  }
}

TEST(EventHubTest, ASubscriberThatDoesNotReadIsDroppedAndThePublisherGoesOn) {
  Hub hub(Capacity(4));
  auto stuck = hub.Subscribe("stuck");
  auto reader = hub.Subscribe("reader");
  std::vector<int> read;
  // The publisher runs apart: had it waited for the stuck subscriber, it
  // would not finish.
  std::promise<void> published;
  std::thread publisher([&] {
    for (int i = 0; i < 4; ++i) hub.Publish(i);
    published.set_value();
  });
  ASSERT_EQ(published.get_future().wait_for(kLong), std::future_status::ready);
  publisher.join();
  for (int v : Drain(*reader)) read.push_back(v);
  // The fifth event finds the stuck queue full.
  hub.Publish(4);
  for (int v : Drain(*reader)) read.push_back(v);
  EXPECT_EQ(read, (std::vector<int>{0, 1, 2, 3, 4}));
  Hub::EventPtr e;
  EXPECT_EQ(stuck->Wait(kNoWait, &e), Next::kDropped);
  EXPECT_EQ(stuck->Wait(kNoWait, &e), Next::kDropped);  // final
  EXPECT_EQ(hub.subscriber_count(), 1u);
  hub.Publish(5);
  EXPECT_EQ(Drain(*reader), std::vector<int>{5});
}

TEST(EventHubTest, AWaitingSubscriberWakesForAnEvent) {
  Hub hub(Capacity(4));
  auto sub = hub.Subscribe("waiting");
  auto got = std::async(std::launch::async, [&] {
    Hub::EventPtr e;
    Next n = sub->Wait(kLong, &e);
    return n == Next::kEvent ? *e : -1;
  });
  hub.Publish(7);
  ASSERT_EQ(got.wait_for(kLong), std::future_status::ready);
  EXPECT_EQ(got.get(), 7);
}

TEST(EventHubTest, DestroyingASubscriptionUnsubscribes) {
  Hub hub(Capacity(4));
  auto a = hub.Subscribe("a");
  {
    auto b = hub.Subscribe("b");
    EXPECT_EQ(hub.subscriber_count(), 2u);
  }
  EXPECT_EQ(hub.subscriber_count(), 1u);
  a.reset();
  EXPECT_EQ(hub.subscriber_count(), 0u);
  hub.Publish(1);  // nobody to deliver to: fine
}

TEST(EventHubTest, CloseEndsWaitsAfterWhatWasQueued) {
  Hub hub(Capacity(4));
  auto sub = hub.Subscribe("s");
  hub.Publish(1);
  auto waiting = hub.Subscribe("waiting");
  Drain(*waiting);
  auto ended = std::async(std::launch::async, [&] {
    Hub::EventPtr e;
    return waiting->Wait(kLong, &e);
  });
  hub.Close();
  ASSERT_EQ(ended.wait_for(kLong), std::future_status::ready);
  EXPECT_EQ(ended.get(), Next::kClosed);
  Hub::EventPtr e;
  ASSERT_EQ(sub->Wait(kNoWait, &e), Next::kEvent);
  EXPECT_EQ(*e, 1);
  EXPECT_EQ(sub->Wait(kNoWait, &e), Next::kClosed);
  hub.Publish(2);  // ignored after Close
  EXPECT_EQ(sub->Wait(kNoWait, &e), Next::kClosed);
}

TEST(EventHubTest, StartUpEventsGoToSubscribersOfTheReplayWindowOnly) {
  auto now = Hub::Clock::time_point{} + std::chrono::hours(1);
  Hub::Options o = Capacity(2);
  o.replay_window = std::chrono::seconds(60);
  o.now = [&] { return now; };
  Hub hub(o);
  hub.Publish(1);
  hub.Publish(2);
  hub.Publish(3);  // past the capacity: not kept
  hub.Serve();
  hub.Publish(4);  // live: not kept for later subscribers
  now += std::chrono::seconds(59);
  auto early = hub.Subscribe("early");
  EXPECT_EQ(Drain(*early), (std::vector<int>{1, 2}));
  now += std::chrono::seconds(1);
  auto late = hub.Subscribe("late");
  EXPECT_TRUE(Drain(*late).empty());
  hub.Publish(5);
  EXPECT_EQ(Drain(*early), std::vector<int>{5});
  EXPECT_EQ(Drain(*late), std::vector<int>{5});
}

TEST(EventHubTest, AWaitWithNothingToSayTimesOut) {
  Hub hub(Capacity(4));
  auto sub = hub.Subscribe("s");
  Hub::EventPtr e;
  EXPECT_EQ(sub->Wait(std::chrono::milliseconds(1), &e), Next::kTimeout);
}

}  // namespace
}  // namespace berth::events
