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

#include <condition_variable>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "test/integration/stats/stats_env.h"

namespace berth::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;

constexpr auto kEventWait = std::chrono::seconds(60);

// One GetContainerEvents subscriber, read on its own thread.
class Subscriber {
 public:
  explicit Subscriber(BerthdProcess& d) {
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
  ~Subscriber() {
    ctx_.TryCancel();
    thread_.join();
    (void)reader_->Finish();
  }

  // Waits until an event of `type` for `id` has arrived; returns it.
  rt::ContainerEventResponse WaitFor(const std::string& id, rt::ContainerEventType type) {
    std::unique_lock<std::mutex> l(mu_);
    rt::ContainerEventResponse found;
    bool ok = cv_.wait_for(l, kEventWait, [&] {
      for (const auto& e : events_) {
        if (e.container_id() == id && e.container_event_type() == type) {
          found = e;
          return true;
        }
      }
      return ended_;
    });
    EXPECT_TRUE(ok && found.container_id() == id)
        << "no " << rt::ContainerEventType_Name(type) << " for " << id << "; have:\n"
        << Summary();
    return found;
  }

  // (id, type) of every event so far, in arrival order.
  std::vector<std::pair<std::string, rt::ContainerEventType>> Seen() {
    std::lock_guard<std::mutex> l(mu_);
    std::vector<std::pair<std::string, rt::ContainerEventType>> out;
    for (const auto& e : events_) out.emplace_back(e.container_id(), e.container_event_type());
    return out;
  }
  std::vector<rt::ContainerEventResponse> Events() {
    std::lock_guard<std::mutex> l(mu_);
    return events_;
  }

 private:
  std::string Summary() const {
    std::string s;
    for (const auto& e : events_) {
      s += e.container_id().substr(0, 12) + " " +
           rt::ContainerEventType_Name(e.container_event_type()) + "\n";
    }
    return s;
  }

  grpc::ClientContext ctx_;
  std::unique_ptr<grpc::ClientReader<rt::ContainerEventResponse>> reader_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<rt::ContainerEventResponse> events_;  // guarded by mu_
  bool ended_ = false;                              // guarded by mu_
};

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
    rt::RemoveContainerRequest req;
    req.set_container_id(id);
    rt::RemoveContainerResponse resp;
    grpc::Status s = d_->runtime().RemoveContainer(Ctx(std::chrono::seconds(60)).get(), req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  void RemovePod(const std::string& id) {
    rt::RemovePodSandboxRequest req;
    req.set_pod_sandbox_id(id);
    rt::RemovePodSandboxResponse resp;
    grpc::Status s =
        d_->runtime().RemovePodSandbox(Ctx(std::chrono::seconds(60)).get(), req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  nlohmann::json VerboseInfo(const std::string& id) {
    rt::ContainerStatusRequest req;
    req.set_container_id(id);
    req.set_verbose(true);
    rt::ContainerStatusResponse resp;
    grpc::Status s = d_->runtime().ContainerStatus(Ctx().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return nlohmann::json::parse(resp.info().at("info"));
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
  Subscriber a(*d_), b(*d_);
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
  Subscriber a(*d_), b(*d_);
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
