#include "pkg/events/lifecycle.h"

namespace berth::events {

namespace rt = runtime::v1;

Phase PhaseOf(rt::ContainerState state) {
  switch (state) {
    case rt::CONTAINER_CREATED:
      return Phase::kCreated;
    case rt::CONTAINER_RUNNING:
      return Phase::kRunning;
    case rt::CONTAINER_EXITED:
      return Phase::kExited;
    default:
      return Phase::kNone;
  }
}

Phase PhaseOf(rt::PodSandboxState state) {
  return state == rt::SANDBOX_READY ? Phase::kRunning : Phase::kExited;
}

std::vector<rt::ContainerEventType> EventsBetween(Phase told, Phase now) {
  std::vector<rt::ContainerEventType> out;
  // Never announced (a creation undone): nothing to take back.
  if (now <= told || (told == Phase::kNone && now == Phase::kDeleted)) return out;
  if (told < Phase::kCreated) out.push_back(rt::CONTAINER_CREATED_EVENT);
  // Running is only claimed when the object is (or was seen) running.
  if (told < Phase::kRunning && now == Phase::kRunning) out.push_back(rt::CONTAINER_STARTED_EVENT);
  if (told < Phase::kExited && now >= Phase::kExited) out.push_back(rt::CONTAINER_STOPPED_EVENT);
  if (now == Phase::kDeleted) out.push_back(rt::CONTAINER_DELETED_EVENT);
  return out;
}

}  // namespace berth::events
