// GetContainerEvents through a real berthd, runc and conmon: two subscribers
// see the same lifecycle events in the same order as a pod and a container
// are created, started, exit on their own (the exit watcher) and are
// removed; and after a restart, the exit of a container that ended while
// berthd was down arrives as STOPPED once restore has found it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "test/integration/harness/cri_client.h"
#include "test/integration/harness/event_subscriber.h"
#include "test/integration/stats/stats_env.h"

namespace berth::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;

// The status of container `id` an event carries (nullptr when absent).
const rt::ContainerStatus* StatusIn(const rt::ContainerEventResponse& e, const std::string& id) {
  for (const auto& s : e.containers_statuses()) {
    if (s.id() == id) return &s;
  }
  return nullptr;
}

class EventsTest : public StatsTest {
 protected:
  void RemoveContainer(const std::string& id) {
    grpc::Status s = CriClient(*d_).RemoveContainer(id);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  void RemovePod(const std::string& id) {
    grpc::Status s = CriClient(*d_).RemovePod(id);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  nlohmann::json VerboseInfo(const std::string& id) {
    Reply<rt::ContainerStatusResponse> r = CriClient(*d_).ContainerStatus(id, /*verbose=*/true);
    EXPECT_TRUE(r.ok()) << r.status.error_message();
    return nlohmann::json::parse(r.response.info().at("info"));
  }
};

// Waits for process `pid` (not our child) to end, through a pidfd.
void WaitProcessEnds(pid_t pid) {
  int fd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  if (fd < 0) return;  // gone already
  pollfd p{fd, POLLIN, 0};
  int r = poll(&p, 1, 30000);
  close(fd);
  ASSERT_EQ(r, 1) << "process " << pid << " did not end";
}

TEST_F(EventsTest, TwoSubscribersSeeTheSameOrderedLifecycle) {
  EventSubscriber a(*d_), b(*d_);
  const std::string pod = RunPod("ev");
  // The container ends by itself once the file appears: its exit is the
  // exit watcher's to find.
  const std::string ctr =
      CreateAndStart(pod, Config("c", "while [ ! -e /tmp/done ]; do sleep 0.1; done; exit 3"));
  rt::ExecSyncResponse out;
  ASSERT_TRUE(Exec(ctr, {"touch", "/tmp/done"}, &out).ok());
  const rt::ContainerEventResponse stopped = a.WaitFor(ctr, rt::CONTAINER_STOPPED_EVENT);
  ASSERT_NO_FATAL_FAILURE(RemoveContainer(ctr));
  ASSERT_NO_FATAL_FAILURE(RemovePod(pod));
  b.WaitFor(pod, rt::CONTAINER_DELETED_EVENT);
  a.WaitFor(pod, rt::CONTAINER_DELETED_EVENT);

  const std::vector<std::pair<std::string, rt::ContainerEventType>> expected = {
      {pod, rt::CONTAINER_CREATED_EVENT}, {pod, rt::CONTAINER_STARTED_EVENT},
      {ctr, rt::CONTAINER_CREATED_EVENT}, {ctr, rt::CONTAINER_STARTED_EVENT},
      {ctr, rt::CONTAINER_STOPPED_EVENT}, {ctr, rt::CONTAINER_DELETED_EVENT},
      {pod, rt::CONTAINER_STOPPED_EVENT}, {pod, rt::CONTAINER_DELETED_EVENT}};
  EXPECT_THAT(a.Seen(), ElementsAreArray(expected));
  EXPECT_THAT(b.Seen(), ElementsAreArray(expected));

  // Each event carries the pod's status and its containers' as they were.
  std::vector<rt::ContainerEventResponse> events = a.Events();
  ASSERT_EQ(events.size(), expected.size());
  int64_t last = 0;
  for (const auto& e : events) {
    EXPECT_EQ(e.pod_sandbox_status().id(), pod) << e.DebugString();
    EXPECT_EQ(e.pod_sandbox_status().metadata().name(), "ev");
    EXPECT_GE(e.created_at(), last);
    last = e.created_at();
  }
  EXPECT_EQ(events[1].pod_sandbox_status().state(), rt::SANDBOX_READY);
  EXPECT_EQ(events[6].pod_sandbox_status().state(), rt::SANDBOX_NOTREADY);
  ASSERT_NE(StatusIn(events[2], ctr), nullptr);
  EXPECT_EQ(StatusIn(events[2], ctr)->state(), rt::CONTAINER_CREATED);
  EXPECT_EQ(StatusIn(events[3], ctr)->state(), rt::CONTAINER_RUNNING);
  const rt::ContainerStatus* exited = StatusIn(stopped, ctr);
  ASSERT_NE(exited, nullptr);
  EXPECT_EQ(exited->state(), rt::CONTAINER_EXITED);
  EXPECT_EQ(exited->exit_code(), 3);
  EXPECT_EQ(exited->reason(), "Error");
  EXPECT_EQ(StatusIn(events[5], ctr), nullptr) << "a deleted container has no status";
}

TEST_F(EventsTest, AnExitWhileBerthdWasDownArrivesAsStoppedAfterTheRestart) {
  const std::string pod = RunPod("restart");
  const std::string ctr = CreateAndStart(pod, Config("sleeper", "exec sleep 3600"));
  const int pid = VerboseInfo(ctr)["pid"].get<int>();
  ASSERT_GT(pid, 0);
  std::ifstream pidfile(d_->dir().Sub("run/containers/" + ctr + "/conmon.pid"));
  pid_t conmon = 0;
  ASSERT_TRUE(pidfile >> conmon) << "no conmon pid file";

  ASSERT_EQ(d_->StopWith(SIGTERM), 0);
  // The container ends while berthd is down; conmon records the exit and
  // leaves.
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  ASSERT_NO_FATAL_FAILURE(WaitProcessEnds(conmon));

  ASSERT_NO_FATAL_FAILURE(d_->Start());
  EventSubscriber a(*d_), b(*d_);
  const rt::ContainerEventResponse stopped = a.WaitFor(ctr, rt::CONTAINER_STOPPED_EVENT);
  const rt::ContainerStatus* st = StatusIn(stopped, ctr);
  ASSERT_NE(st, nullptr);
  EXPECT_EQ(st->state(), rt::CONTAINER_EXITED);
  EXPECT_EQ(st->exit_code(), 137);
  EXPECT_EQ(stopped.pod_sandbox_status().state(), rt::SANDBOX_READY);
  ASSERT_NO_FATAL_FAILURE(RemoveContainer(ctr));
  a.WaitFor(ctr, rt::CONTAINER_DELETED_EVENT);
  b.WaitFor(ctr, rt::CONTAINER_DELETED_EVENT);
  // Nothing else happened: no event for the pod, which stayed ready, and
  // none repeated for the container (the exit watcher sees the exit file
  // again at start).
  const std::vector<std::pair<std::string, rt::ContainerEventType>> expected = {
      {ctr, rt::CONTAINER_STOPPED_EVENT}, {ctr, rt::CONTAINER_DELETED_EVENT}};
  EXPECT_THAT(a.Seen(), ElementsAreArray(expected));
  EXPECT_THAT(b.Seen(), ElementsAreArray(expected));
}

}  // namespace
}  // namespace berth::testing
