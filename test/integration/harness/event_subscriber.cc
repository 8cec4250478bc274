#include "test/integration/harness/event_subscriber.h"

#include <gtest/gtest.h>

namespace berth::testing {

namespace rt = runtime::v1;

EventSubscriber::EventSubscriber(BerthdProcess& d) {
  ctx_.set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(10));
  reader_ = d.runtime().GetContainerEvents(&ctx_, rt::GetEventsRequest());
  // berthd sends the headers once it has subscribed us: from here nothing
  // is missed.
  reader_->WaitForInitialMetadata();
  thread_ = std::thread([this] {
    rt::ContainerEventResponse e;
    while (reader_->Read(&e)) {
      std::lock_guard<std::mutex> l(mu_);
      events_.push_back(e);
      cv_.notify_all();
    }
    std::lock_guard<std::mutex> l(mu_);
    ended_ = true;
    cv_.notify_all();
  });
}

EventSubscriber::~EventSubscriber() {
  ctx_.TryCancel();
  thread_.join();
  (void)reader_->Finish();
}

std::optional<rt::ContainerEventResponse> EventSubscriber::Await(const std::string& id,
                                                                 rt::ContainerEventType type,
                                                                 std::chrono::seconds timeout) {
  std::unique_lock<std::mutex> l(mu_);
  std::optional<rt::ContainerEventResponse> found;
  cv_.wait_for(l, timeout, [&] {
    for (const auto& e : events_) {
      if (e.container_id() == id && e.container_event_type() == type) {
        found = e;
        return true;
      }
    }
    return ended_;
  });
  return found;
}

rt::ContainerEventResponse EventSubscriber::WaitFor(const std::string& id,
                                                    rt::ContainerEventType type,
                                                    std::chrono::seconds timeout) {
  std::optional<rt::ContainerEventResponse> found = Await(id, type, timeout);
  if (found) return *found;
  std::lock_guard<std::mutex> l(mu_);
  ADD_FAILURE() << "no " << rt::ContainerEventType_Name(type) << " for " << id << "; have:\n"
                << Summary();
  return {};
}

std::vector<std::pair<std::string, rt::ContainerEventType>> EventSubscriber::Seen() {
  std::lock_guard<std::mutex> l(mu_);
  std::vector<std::pair<std::string, rt::ContainerEventType>> out;
  for (const auto& e : events_) out.emplace_back(e.container_id(), e.container_event_type());
  return out;
}

std::vector<rt::ContainerEventResponse> EventSubscriber::Events() {
  std::lock_guard<std::mutex> l(mu_);
  return events_;
}

std::string EventSubscriber::Summary() const {
  std::string s;
  for (const auto& e : events_) {
    s += e.container_id().substr(0, 12) + " " +
         rt::ContainerEventType_Name(e.container_event_type()) + "\n";
  }
  return s;
}

}  // namespace berth::testing
