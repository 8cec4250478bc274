// OOM kills under gVisor (Debian's runsc) through a real berthd, conmon and
// berth-gvisor-shim. The workload's memory is the sandbox's (the sentry's),
// charged to the pod's cgroup, so a pod whose cgroup parent is sized below
// what a container allocates has its sandbox killed by the host's OOM
// killer: its containers must come out OOMKilled, in ContainerStatus and in
// GetContainerEvents. A container that ends by itself with 137 must not.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "test/integration/harness/event_subscriber.h"
#include "test/integration/runsc/runsc_env.h"

namespace berth::testing {
namespace {

constexpr char kMemoryCgroupRoot[] = "/sys/fs/cgroup/memory";
// Far above a busybox shell, the sentry and its gofer; far below the 400 MB
// the hog holds in a shell variable.
constexpr long long kPodMemoryLimit = 160LL << 20;
constexpr char kHogScript[] =
    "x=$(head -c 400000000 /dev/zero | tr '\\0' a); echo survived; sleep 1000";

class GvisorOomTest : public GvisorTest {
 protected:
  // The pod-level cgroup the kubelet would make (cgroupfs layout), with a
  // memory limit; runsc creates the sandbox's cgroup under it.
  void SetUp() override {
    GvisorTest::SetUp();
    parent_ = "/berth-runsc-oom-" + std::to_string(getpid());
    const std::string dir = std::string(kMemoryCgroupRoot) + parent_;
    ASSERT_TRUE(std::filesystem::create_directory(dir)) << dir;
    std::ofstream(dir + "/memory.limit_in_bytes") << kPodMemoryLimit;
  }
  // runsc made the parent in every controller hierarchy; its own children
  // are gone once the pod is removed.
  void TearDown() override {
    GvisorTest::TearDown();
    for (const auto& hierarchy : std::filesystem::directory_iterator("/sys/fs/cgroup")) {
      std::error_code ec;
      std::filesystem::remove(hierarchy.path().string() + parent_, ec);
    }
  }

  std::string RunLimitedPodOk(const std::string& name) {
    rt::PodSandboxConfig c = PodConfig(name, "uid-" + name);
    c.set_log_directory(LogDir());
    c.mutable_linux()->set_cgroup_parent(parent_);
    std::string id;
    grpc::Status s = Run(c, &id);
    EXPECT_TRUE(s.ok()) << s.error_message() << "\n" << d_->Log();
    return id;
  }

  std::string parent_;
};

TEST_F(GvisorOomTest, PodMemoryLimitBreachIsReportedAsOOMKilledInStatusAndEvents) {
  const std::string pod = RunLimitedPodOk("oom");
  ASSERT_FALSE(pod.empty());
  const std::string id = CreateOk(pod, Config("hog", {"/bin/sh", "-c", kHogScript}));
  // Subscribed before the container starts: its STOPPED event cannot be missed.
  EventSubscriber events(*d_);
  ASSERT_TRUE(Start(id).ok());

  rt::ContainerStatus st = WaitExited(id, std::chrono::seconds(120));
  EXPECT_EQ(st.reason(), "OOMKilled") << "exit " << st.exit_code() << "\n" << d_->Log();
  EXPECT_EQ(st.exit_code(), 137);
  EXPECT_THAT(Slurp(LogDir() + "/hog.log"), ::testing::Not(::testing::HasSubstr("survived")));
  std::optional<rt::ContainerEventResponse> event =
      events.Await(id, rt::CONTAINER_STOPPED_EVENT, std::chrono::seconds(60));
  ASSERT_TRUE(event.has_value()) << "no STOPPED event for " << id;
  ASSERT_EQ(event->containers_statuses_size(), 1);
  EXPECT_EQ(event->containers_statuses(0).reason(), "OOMKilled");
  EXPECT_EQ(event->containers_statuses(0).exit_code(), 137);
  CleanUpAndExpectNoGvisorLeaks();
}

TEST_F(GvisorOomTest, ContainerExitingWith137ByItselfIsNotOOMKilled) {
  const std::string pod = RunLimitedPodOk("self");
  ASSERT_FALSE(pod.empty());
  for (const char* script : {"kill -9 $$", "exit 137"}) {
    SCOPED_TRACE(script);
    const std::string id = CreateAndStartOk(
        pod, Config(script[0] == 'k' ? "killed" : "exits", {"/bin/sh", "-c", script}));
    rt::ContainerStatus st = WaitExited(id, std::chrono::seconds(60));
    EXPECT_EQ(st.exit_code(), 137);
    EXPECT_EQ(st.reason(), "Error");
  }
  CleanUpAndExpectNoGvisorLeaks();
}

}  // namespace
}  // namespace berth::testing
