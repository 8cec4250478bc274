// StreamEvents: one GetContainerEvents call's loop, apart from the Server so
// it can be tested on a hub of its own: subscribe, write each event, and end
// (unsubscribing) when the client goes, falls behind, or the hub closes.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "pkg/base/status.h"
#include "pkg/events/event_hub.h"
#include "runtime/v1/api.pb.h"

namespace berth::daemon {

using ContainerEventHub = events::EventHub<runtime::v1::ContainerEventResponse>;

// How often a waiting stream looks whether its client went away (the sync
// gRPC API has no cancellation callback).
inline constexpr std::chrono::milliseconds kEventCancelPoll{200};

// `subscribed` runs once the subscription exists (the gRPC layer sends the
// response headers then, so a client can tell it will miss nothing from
// there on). Returns Cancelled when `write` fails or `cancelled()` holds,
// ResourceExhausted when the hub dropped the subscriber, Unavailable when the
// hub closed.
Status StreamEvents(ContainerEventHub& hub, const std::string& name,
                    const std::function<void()>& subscribed, const std::function<bool()>& cancelled,
                    const std::function<bool(const runtime::v1::ContainerEventResponse&)>& write,
                    std::chrono::milliseconds cancel_poll = kEventCancelPoll);

}  // namespace berth::daemon
