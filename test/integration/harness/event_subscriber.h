// One GetContainerEvents subscription of a real berthd, read on its own
// thread from the moment the constructor returns (berthd has subscribed it
// by then: nothing later is missed).
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "test/integration/harness/berthd_fixture.h"

namespace berth::testing {

class EventSubscriber {
 public:
  explicit EventSubscriber(BerthdProcess& d);
  ~EventSubscriber();
  EventSubscriber(const EventSubscriber&) = delete;
  EventSubscriber& operator=(const EventSubscriber&) = delete;

  // The first event of `type` for `id`, once it arrived; nullopt when none
  // came within `timeout` or the stream ended first.
  std::optional<runtime::v1::ContainerEventResponse> Await(
      const std::string& id, runtime::v1::ContainerEventType type,
      std::chrono::seconds timeout = std::chrono::seconds(60));
  // Await that fails the test (naming what did arrive) when none came.
  runtime::v1::ContainerEventResponse WaitFor(
      const std::string& id, runtime::v1::ContainerEventType type,
      std::chrono::seconds timeout = std::chrono::seconds(60));

  // (id, type) of every event so far, in arrival order.
  std::vector<std::pair<std::string, runtime::v1::ContainerEventType>> Seen();
  std::vector<runtime::v1::ContainerEventResponse> Events();

 private:
  std::string Summary() const;  // needs mu_ held

  grpc::ClientContext ctx_;
  std::unique_ptr<grpc::ClientReader<runtime::v1::ContainerEventResponse>> reader_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<runtime::v1::ContainerEventResponse> events_;  // guarded by mu_
  bool ended_ = false;                                       // guarded by mu_
};

}  // namespace berth::testing
