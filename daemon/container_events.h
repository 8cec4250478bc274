// ContainerEvents: what GetContainerEvents streams. Paths that change an
// object's state (the RPCs, the exit watcher through RecordContainerExit,
// restore) tell it the object's phase; it publishes the lifecycle events
// subscribers were not told yet (pkg/events/lifecycle.h), each carrying the
// pod's status and its containers' statuses as they are at that moment.
//
// One lock serializes announcements, so one object's events go out in
// lifecycle order and every subscriber sees the same order. It is taken with
// no store lock held and takes the stores' read locks (to fill statuses),
// then the hub's lock; it never waits on a subscriber (pkg/events/event_hub.h).
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <string>

#include "daemon/event_stream.h"
#include "pkg/events/lifecycle.h"
#include "runtime/v1/api.pb.h"

namespace berth::daemon {

class ContainerEvents {
 public:
  using Hub = ContainerEventHub;
  // Fills an event's pod sandbox status and container statuses.
  using FillStatuses =
      std::function<void(const std::string& sandbox_id, runtime::v1::ContainerEventResponse*)>;

  ContainerEvents(FillStatuses fill, Hub::Options options);

  // Object `id` (a container, or a sandbox with `sandbox_id` == `id`) is in
  // the phase `now()` returns (read under the lock, so a later change is
  // never announced before an earlier one): publishes what is new.
  void Announce(const std::string& id, const std::string& sandbox_id,
                const std::function<events::Phase()>& now);
  // Restore: subscribers of the previous berthd were told `told` already.
  void Seed(const std::string& id, events::Phase told);

  Hub& hub() { return hub_; }

 private:
  const FillStatuses fill_;
  Hub hub_;
  std::mutex mu_;
  std::map<std::string, events::Phase> told_;  // guarded by mu_; deleted ones leave
};

}  // namespace berth::daemon
