// EventHub<Event>: one publisher side, many subscribers, each with a bounded
// queue of its own. Publish never waits on a subscriber: one whose queue is
// full is dropped (its next wait says so) and the hub logs it, so a client
// that stops reading costs at most its queue, never the runtime's time.
//
// Every subscriber sees the events it gets in publication order (Publish
// appends to every queue under one lock).
//
// Events published before Serve() (start-up: restore finds what changed
// while the daemon was down, before anyone can subscribe) are kept, up to
// the queue capacity, and handed first to each subscriber that arrives
// within the replay window after Serve(); later subscribers start live.
#pragma once

#include <spdlog/spdlog.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace berth::events {

// How a wait for the next event ended.
enum class Next { kEvent, kTimeout, kDropped, kClosed };

template <typename Event>
class EventHub {
  struct Queue;
  struct State;

 public:
  using Clock = std::chrono::steady_clock;
  using EventPtr = std::shared_ptr<const Event>;

  struct Options {
    size_t queue_capacity = 1024;
    std::chrono::seconds replay_window = std::chrono::seconds(60);
    std::function<Clock::time_point()> now = [] { return Clock::now(); };
  };

  // One subscriber's end. Destroying it unsubscribes.
  class Subscription {
   public:
    ~Subscription() {
      std::lock_guard<std::mutex> lock(state_->mu);
      std::erase(state_->queues, queue_);
    }
    Subscription(const Subscription&) = delete;
    Subscription& operator=(const Subscription&) = delete;

    // Waits up to `timeout` for the next event; on kEvent, `*out` holds it.
    // kDropped and kClosed are final.
    Next Wait(std::chrono::milliseconds timeout, EventPtr* out) {
      std::unique_lock<std::mutex> lock(state_->mu);
      state_->cv.wait_for(lock, timeout, [&] {
        return !queue_->events.empty() || queue_->dropped || state_->closed;
      });
      // What was queued before a close is still delivered.
      if (!queue_->events.empty()) {
        *out = std::move(queue_->events.front());
        queue_->events.pop_front();
        return Next::kEvent;
      }
      if (queue_->dropped) return Next::kDropped;
      if (state_->closed) return Next::kClosed;
      return Next::kTimeout;
    }

    const std::string& name() const { return queue_->name; }

   private:
    friend class EventHub;
    Subscription(std::shared_ptr<State> state, std::shared_ptr<Queue> queue)
        : state_(std::move(state)), queue_(std::move(queue)) {}
    std::shared_ptr<State> state_;
    std::shared_ptr<Queue> queue_;
  };

  explicit EventHub(Options options) : state_(std::make_shared<State>(std::move(options))) {}
  ~EventHub() { Close(); }

  // `name` says who subscribes, for the log line if it is dropped.
  std::unique_ptr<Subscription> Subscribe(std::string name) {
    auto queue = std::make_shared<Queue>();
    queue->name = std::move(name);
    std::lock_guard<std::mutex> lock(state_->mu);
    if (state_->serving_since &&
        state_->options.now() < *state_->serving_since + state_->options.replay_window) {
      queue->events.assign(state_->retained.begin(), state_->retained.end());
    }
    state_->queues.push_back(queue);
    return std::unique_ptr<Subscription>(new Subscription(state_, std::move(queue)));
  }

  void Publish(Event event) {
    auto shared = std::make_shared<const Event>(std::move(event));
    std::vector<std::string> dropped;
    {
      std::lock_guard<std::mutex> lock(state_->mu);
      if (state_->closed) return;
      if (!state_->serving_since && state_->retained.size() < state_->options.queue_capacity) {
        state_->retained.push_back(shared);
      }
      for (auto it = state_->queues.begin(); it != state_->queues.end();) {
        Queue& q = **it;
        if (q.events.size() < state_->options.queue_capacity) {
          q.events.push_back(shared);
          ++it;
          continue;
        }
        // Full: this subscriber is not keeping up. Its queue is cleared so
        // its wait reports the drop at once instead of stale events.
        q.dropped = true;
        q.events.clear();
        dropped.push_back(q.name);
        it = state_->queues.erase(it);
      }
    }
    state_->cv.notify_all();
    for (const std::string& name : dropped) {
      spdlog::warn("events: subscriber {} fell {} events behind and was dropped", name,
                   state_->options.queue_capacity);
    }
  }

  // Ends the start-up phase (see the header comment).
  void Serve() {
    std::lock_guard<std::mutex> lock(state_->mu);
    if (!state_->serving_since) state_->serving_since = state_->options.now();
  }

  // Ends every subscription (their waits report kClosed once their queues
  // are empty); later publications are ignored.
  void Close() {
    {
      std::lock_guard<std::mutex> lock(state_->mu);
      state_->closed = true;
    }
    state_->cv.notify_all();
  }

  size_t subscriber_count() const {
    std::lock_guard<std::mutex> lock(state_->mu);
    return state_->queues.size();
  }

 private:
  struct Queue {
    std::string name;
    std::deque<EventPtr> events;  // guarded by State::mu
    bool dropped = false;         // guarded by State::mu
  };
  // Shared with the subscriptions, which may outlive the hub.
  struct State {
    explicit State(Options o) : options(std::move(o)) {}
    const Options options;
    mutable std::mutex mu;
    std::condition_variable cv;                      // any queue changed, or closed
    std::vector<std::shared_ptr<Queue>> queues;      // guarded by mu
    std::vector<EventPtr> retained;                  // guarded by mu; until Serve()
    std::optional<Clock::time_point> serving_since;  // guarded by mu
    bool closed = false;                             // guarded by mu
  };

  std::shared_ptr<State> state_;
};

}  // namespace berth::events
