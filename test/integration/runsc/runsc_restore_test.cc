// gVisor pods across a berthd restart: what ran goes on running and stays
// reachable (exec into the sandbox after the restart), a container that
// ended while berthd was down is found exited with its code, and the kubelet's
// cleanup afterwards leaves nothing in runsc's state or on the host.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "test/integration/harness/object_snapshot.h"
#include "test/integration/runsc/runsc_env.h"

namespace berth::testing {
namespace {

TEST_F(GvisorTest, RestartKeepsGvisorPodsAndFindsWhatEndedWhileDown) {
  const std::string pod = RunPodOk("kept");
  ASSERT_FALSE(pod.empty());
  const std::string stays =
      CreateAndStartOk(pod, Config("stays", {"/bin/sh", "-c", "while true; do sleep 1; done"}));
  const std::string ends =
      CreateAndStartOk(pod, Config("ends", {"/bin/sh", "-c", "while true; do sleep 1; done"}));
  ASSERT_EQ(RunscStatus(ends), "running");

  // berthd goes down cleanly (containers keep running); one container is
  // killed inside gVisor meanwhile, so only conmon sees its end.
  StopDaemon();
  ProcessResult killed = RunCommand({kRunsc, "--root", RunscRoot(), "kill", ends, "KILL"});
  ASSERT_EQ(killed.exit_code, 0) << killed.output;
  ASSERT_NO_FATAL_FAILURE(Restart());

  EXPECT_EQ(Status(pod).status().state(), rt::SANDBOX_READY);
  EXPECT_EQ(Status(pod).status().runtime_handler(), "runsc");
  rt::ContainerStatusResponse st;
  ASSERT_TRUE(ContainerStatus(stays, &st).ok());
  EXPECT_EQ(st.status().state(), rt::CONTAINER_RUNNING);
  EXPECT_EQ(KernelOf(stays), kGvisorKernel) << "exec into the sandbox after the restart";
  rt::ContainerStatus ended = WaitExited(ends);
  EXPECT_EQ(ended.exit_code(), 137);

  // The restored berthd still drives the sandbox: stop and remove through it.
  ASSERT_TRUE(StopContainer(stays, 10).ok());
  EXPECT_EQ(WaitExited(stays).state(), rt::CONTAINER_EXITED);
  CleanUpAndExpectNoGvisorLeaks();
}

}  // namespace
}  // namespace berth::testing

namespace berth::testing {
namespace {

// berthd killed at a crash point in the middle of an operation on a gVisor
// pod (the points where the runsc path differs from runc's: CNI before the
// infra container, the shim, runsc create and delete): after a restart a
// bystander pod and container made before the crash are exactly as they were
// (ids, state, IP, times), every listed object is coherent, and the kubelet's
// cleanup leaves nothing.
class GvisorCrashTest : public GvisorTest, public ::testing::WithParamInterface<const char*> {};

TEST_P(GvisorCrashTest, RestartAfterACrashIsCoherentAndCleanupLeaksNothing) {
  const std::string point = GetParam();
  const std::vector<std::string> loop = {"/bin/sh", "-c", "while true; do sleep 1; done"};
  const std::string bystander_pod = RunPodOk("bystander");
  ASSERT_FALSE(bystander_pod.empty());
  const std::string bystander = CreateAndStartOk(bystander_pod, Config("bystander", loop));
  // SetUp's berthd goes; the same one is started again with the point armed.
  StopDaemon();
  d_->SetEnv("BERTH_CRASH_POINT", point);
  ASSERT_NO_FATAL_FAILURE(d_->Start());
  const ObjectSnapshot untouched = SnapshotObjects(cri(), {bystander_pod}, {bystander});
  ASSERT_NO_FATAL_FAILURE(DriveToCrash(point, Config("worker", loop)));
  ExpectCrashed(point);
  ASSERT_NO_FATAL_FAILURE(Restart());
  EXPECT_EQ(SnapshotObjects(cri(), {bystander_pod}, {bystander}), untouched)
      << "the crash changed objects it did not touch";

  for (const rt::PodSandbox& p : List()) {
    rt::PodSandboxStatusResponse st = Status(p.id());
    EXPECT_EQ(st.status().state(), p.state());
    if (p.state() == rt::SANDBOX_READY) {
      EXPECT_EQ(RunscStatus(p.id()), "running") << "a ready gVisor pod's sandbox runs";
    }
  }
  for (const rt::Container& c : ListContainers()) {
    rt::ContainerStatusResponse st;
    ASSERT_TRUE(ContainerStatus(c.id(), &st).ok()) << c.id();
    if (st.status().state() == rt::CONTAINER_CREATED) {
      EXPECT_EQ(RunscStatus(c.id()), "created");
      EXPECT_TRUE(Start(c.id()).ok()) << "a created container left by the crash starts";
    }
  }
  KubeletCleanup();
  ExpectNoGvisorLeaks();
}

std::string PointName(const ::testing::TestParamInfo<const char*>& info) {
  std::string name(info.param);
  for (char& ch : name) {
    if (ch == '/' || ch == '-') ch = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(RunscPaths, GvisorCrashTest,
                         ::testing::Values("sandbox-run/after-network",
                                           "sandbox-run/after-infra-create",
                                           "sandbox-run/before-commit",
                                           "container-create/after-runtime-create",
                                           "container-remove/reap-after-runtime-delete",
                                           "sandbox-remove/reap-after-runtime-delete"),
                         PointName);

}  // namespace
}  // namespace berth::testing
