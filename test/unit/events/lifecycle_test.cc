// The events that take a subscriber from the phase it was told to the phase
// an object is in now.
#include "pkg/events/lifecycle.h"

#include <gtest/gtest.h>

namespace berth::events {
namespace {

namespace rt = runtime::v1;
using Events = std::vector<rt::ContainerEventType>;

TEST(LifecycleTest, EachStepIsOneEvent) {
  EXPECT_EQ(EventsBetween(Phase::kNone, Phase::kCreated), Events{rt::CONTAINER_CREATED_EVENT});
  EXPECT_EQ(EventsBetween(Phase::kCreated, Phase::kRunning), Events{rt::CONTAINER_STARTED_EVENT});
  EXPECT_EQ(EventsBetween(Phase::kRunning, Phase::kExited), Events{rt::CONTAINER_STOPPED_EVENT});
  EXPECT_EQ(EventsBetween(Phase::kExited, Phase::kDeleted), Events{rt::CONTAINER_DELETED_EVENT});
}

TEST(LifecycleTest, StepsSeenLateComeInOrder) {
  // A sandbox announced once it is ready.
  EXPECT_EQ(EventsBetween(Phase::kNone, Phase::kRunning),
            (Events{rt::CONTAINER_CREATED_EVENT, rt::CONTAINER_STARTED_EVENT}));
  EXPECT_EQ(EventsBetween(Phase::kRunning, Phase::kDeleted),
            (Events{rt::CONTAINER_STOPPED_EVENT, rt::CONTAINER_DELETED_EVENT}));
  EXPECT_EQ(EventsBetween(Phase::kCreated, Phase::kDeleted),
            (Events{rt::CONTAINER_STOPPED_EVENT, rt::CONTAINER_DELETED_EVENT}));
}

TEST(LifecycleTest, AnExitSeenBeforeTheStartClaimsNoStart) {
  EXPECT_EQ(EventsBetween(Phase::kCreated, Phase::kExited), Events{rt::CONTAINER_STOPPED_EVENT});
}

TEST(LifecycleTest, NothingNewIsNothing) {
  EXPECT_TRUE(EventsBetween(Phase::kRunning, Phase::kRunning).empty());
  EXPECT_TRUE(EventsBetween(Phase::kExited, Phase::kRunning).empty());  // never backwards
  // A creation undone before it was announced.
  EXPECT_TRUE(EventsBetween(Phase::kNone, Phase::kDeleted).empty());
  EXPECT_TRUE(EventsBetween(Phase::kNone, Phase::kNone).empty());
}

TEST(LifecycleTest, StatesMapToPhases) {
  EXPECT_EQ(PhaseOf(rt::CONTAINER_CREATED), Phase::kCreated);
  EXPECT_EQ(PhaseOf(rt::CONTAINER_RUNNING), Phase::kRunning);
  EXPECT_EQ(PhaseOf(rt::CONTAINER_EXITED), Phase::kExited);
  EXPECT_EQ(PhaseOf(rt::CONTAINER_UNKNOWN), Phase::kNone);
  EXPECT_EQ(PhaseOf(rt::SANDBOX_READY), Phase::kRunning);
  EXPECT_EQ(PhaseOf(rt::SANDBOX_NOTREADY), Phase::kExited);
}

}  // namespace
}  // namespace berth::events
