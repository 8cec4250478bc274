// The CRI's container lifecycle events (created, started, stopped, deleted)
// derived from states: whoever records a state change asks which events take
// a subscriber from what it was last told to the state now. Asking again
// with nothing new gives nothing, so any path may ask after any change, and a
// change seen late (an exit recorded before the start was announced) still
// reaches subscribers as the events in between, in lifecycle order.
#pragma once

#include <vector>

#include "runtime/v1/api.pb.h"

namespace berth::events {

// How far along its life an object is, as its subscribers were told.
enum class Phase { kNone, kCreated, kRunning, kExited, kDeleted };

// The phase a container state stands for (kNone for UNKNOWN).
Phase PhaseOf(runtime::v1::ContainerState state);
// A pod sandbox, once created: READY is running, NOTREADY has stopped (its
// infra process ended or StopPodSandbox ran; creation shows no sandbox).
Phase PhaseOf(runtime::v1::PodSandboxState state);

// The events between `told` and `now`, in order; none when `now` is not
// later (phases never go back). A created object that exits without having
// been announced as running gets no STARTED: nothing says it ran.
std::vector<runtime::v1::ContainerEventType> EventsBetween(Phase told, Phase now);

}  // namespace berth::events
