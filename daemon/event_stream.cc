#include "daemon/event_stream.h"

#include <spdlog/spdlog.h>

namespace berth::daemon {

Status StreamEvents(ContainerEventHub& hub, const std::string& name,
                    const std::function<void()>& subscribed, const std::function<bool()>& cancelled,
                    const std::function<bool(const runtime::v1::ContainerEventResponse&)>& write,
                    std::chrono::milliseconds cancel_poll) {
  // Unsubscribes when it goes out of scope, however the stream ends.
  std::unique_ptr<ContainerEventHub::Subscription> sub = hub.Subscribe(name);
  spdlog::info("events: {} subscribed", name);
  subscribed();
  for (;;) {
    ContainerEventHub::EventPtr event;
    switch (sub->Wait(cancel_poll, &event)) {
      case events::Next::kEvent:
        if (!write(*event)) return Cancelled("events: client " + name + " went away");
        break;
      case events::Next::kTimeout:
        if (cancelled()) return Cancelled("events: client " + name + " cancelled");
        break;
      case events::Next::kDropped:
        return ResourceExhausted("events: subscriber " + name +
                                 " did not keep up and was dropped; subscribe again and relist");
      case events::Next::kClosed:
        return Unavailable("events: berthd is shutting down");
    }
  }
}

}  // namespace berth::daemon
