// Every crash point of daemon/crash_point.h, one test each: a fresh berthd
// (pods on a private bridge network, so CNI and host-local run) makes a
// bystander pod with a running container, is restarted armed with the point,
// the operation that reaches it is driven on another pod until berthd dies
// there (exit status 86), and berthd is started again unarmed. Then:
//  1. consistency: the bystanders are exactly as before the crash (ids,
//     state, IPs, times), every listed pod and container answers its status
//     call coherently, the interrupted object is complete or gone, and what
//     is on disk is exactly what is listed;
//  2. the kubelet's cleanup (stop and remove every pod, remove every
//     container) succeeds;
//  3. the leak census finds nothing (mounts, pins, bundles, quarantine, exit
//     files, CNI cache, host-local IPs, veths, runc state, conmon, image
//     temporary files).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>

#include "daemon/crash_point.h"
#include "test/integration/harness/object_snapshot.h"
#include "test/integration/restore/restore_env.h"

namespace berth::testing {
namespace {

using ::testing::IsEmpty;

class CrashPointsTest : public RestoreFixture,
                        public ::testing::WithParamInterface<std::string_view> {
 protected:
  std::string RuncStatus(const std::string& id) {
    ProcessResult r = RunCommand({kRunc, "--root", RuncRoot(), "state", id});
    if (r.exit_code != 0) return "gone";
    nlohmann::json j = nlohmann::json::parse(r.output, nullptr, false);
    return j.is_object() && j.contains("status") ? j["status"].get<std::string>() : "unreadable";
  }

  void ExpectPodCoherent(const rt::PodSandbox& p) {
    SCOPED_TRACE("pod " + p.id());
    rt::PodSandboxStatusResponse st = Status(p.id());
    EXPECT_EQ(st.status().id(), p.id());
    EXPECT_EQ(st.status().state(), p.state());
    EXPECT_GT(st.status().created_at(), 0);
    if (st.status().state() == rt::SANDBOX_READY) {
      EXPECT_EQ(RuncStatus(p.id()), "running") << "a ready pod's infra must run";
      EXPECT_THAT(st.status().network().ip(), ::testing::StartsWith(net_.subnet_prefix))
          << "a ready pod on the bridge network has its IP";
    }
  }

  void ExpectContainerCoherent(const rt::Container& c, const std::vector<rt::PodSandbox>& pods) {
    SCOPED_TRACE("container " + c.id());
    EXPECT_TRUE(std::any_of(pods.begin(), pods.end(),
                            [&](const auto& p) { return p.id() == c.pod_sandbox_id(); }))
        << "its pod " << c.pod_sandbox_id() << " is not listed";
    rt::ContainerStatusResponse resp;
    grpc::Status s = ContainerStatus(c.id(), &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
    const rt::ContainerStatus& st = resp.status();
    EXPECT_EQ(st.id(), c.id());
    EXPECT_GT(st.created_at(), 0);
    switch (st.state()) {
      case rt::CONTAINER_CREATED: {
        // Complete means usable: it starts.
        EXPECT_EQ(RuncStatus(c.id()), "created");
        grpc::Status started = Start(c.id());
        EXPECT_TRUE(started.ok()) << started.error_message() << "\n" << d_->Log();
        rt::ContainerStatusResponse after;
        ASSERT_TRUE(ContainerStatus(c.id(), &after).ok());
        EXPECT_EQ(after.status().state(), rt::CONTAINER_RUNNING);
        break;
      }
      case rt::CONTAINER_RUNNING:
        EXPECT_EQ(RuncStatus(c.id()), "running");
        EXPECT_GT(st.started_at(), 0) << "a running container has a start time";
        break;
      case rt::CONTAINER_EXITED:
        EXPECT_GT(st.finished_at(), 0);
        EXPECT_GE(st.finished_at(), st.started_at());
        break;
      default:
        ADD_FAILURE() << "state " << rt::ContainerState_Name(st.state());
    }
  }

  // What is on disk is exactly what is listed (and nothing was set aside).
  void ExpectDiskMatchesMemory(const std::vector<rt::PodSandbox>& pods,
                               const std::vector<rt::Container>& containers) {
    std::vector<std::string> pod_ids, ctr_ids;
    for (const auto& p : pods) pod_ids.push_back(p.id());
    for (const auto& c : containers) ctr_ids.push_back(c.id());
    std::sort(pod_ids.begin(), pod_ids.end());
    std::sort(ctr_ids.begin(), ctr_ids.end());
    EXPECT_EQ(ListDirOrEmpty(Root() + "/sandboxes"), pod_ids) << "sandbox bundles vs listed pods";
    EXPECT_EQ(ListDirOrEmpty(Root() + "/containers"), ctr_ids) << "container bundles vs listed";
    EXPECT_THAT(ListDirOrEmpty(Root() + "/quarantine"), IsEmpty()) << "a crash must not quarantine";
  }
};

TEST_P(CrashPointsTest, RestartIsConsistentAndCleanupLeaksNothing) {
  const std::string point(GetParam());
  const std::string op = point.substr(0, point.find('/'));
  // The bystanders exist before the point is armed (arming it at the first
  // start would crash their own creation).
  ASSERT_NO_FATAL_FAILURE(StartRestoreDaemon());
  ASSERT_NO_FATAL_FAILURE(PullBusybox());
  const std::string bystander_pod = RunPodOk("bystander");
  ASSERT_FALSE(bystander_pod.empty());
  const std::string bystander = CreateAndStartOk(
      bystander_pod, Config("bystander", {"/bin/sh", "-c", "while true; do sleep 1; done"}));
  StopDaemon();
  d_->SetEnv("BERTH_CRASH_POINT", point);
  ASSERT_NO_FATAL_FAILURE(d_->Start());
  const ObjectSnapshot untouched = SnapshotObjects(cri(), {bystander_pod}, {bystander});
  // Exit code 3 on SIGTERM: what container-stop checks was recorded.
  ASSERT_NO_FATAL_FAILURE(DriveToCrash(point, TermExiting("worker", 3)));
  ExpectCrashed(point);
  ASSERT_NO_FATAL_FAILURE(Restart());

  // 1. Consistency.
  EXPECT_EQ(SnapshotObjects(cri(), {bystander_pod}, {bystander}), untouched)
      << "the crash changed objects it did not touch";
  std::vector<rt::PodSandbox> all_pods = List();
  std::vector<rt::Container> all_containers = ListContainers();
  ExpectDiskMatchesMemory(all_pods, all_containers);
  // What the interrupted operation made or touched: all but the bystanders.
  std::vector<rt::PodSandbox> pods;
  std::copy_if(all_pods.begin(), all_pods.end(), std::back_inserter(pods),
               [&](const auto& p) { return p.id() != bystander_pod; });
  std::vector<rt::Container> containers;
  std::copy_if(all_containers.begin(), all_containers.end(), std::back_inserter(containers),
               [&](const auto& c) { return c.id() != bystander; });
  if (op != "sandbox-run" && op != "sandbox-remove") {
    EXPECT_EQ(pods.size(), 1u) << "the pod was not the interrupted object";
  }
  if (op == "container-start" || op == "container-stop" || op == "sandbox-stop") {
    EXPECT_EQ(containers.size(), 1u) << "the container was not the interrupted object";
  }
  if (point.find("/reap-") != std::string::npos) {
    // Its ".removing" marker was durable before the answer: restore finished it.
    EXPECT_THAT(containers, IsEmpty()) << "a removal answered before the crash came back";
    if (op == "sandbox-remove") {
      EXPECT_THAT(pods, IsEmpty()) << "the removed pod came back";
    }
  }
  for (const auto& p : all_pods) ExpectPodCoherent(p);
  for (const auto& c : all_containers) ExpectContainerCoherent(c, all_pods);
  if (op == "container-stop" && containers.size() == 1) {
    // SIGTERM was sent before the crash: the exit (code 3) is recorded.
    rt::ContainerStatus st = WaitExited(containers[0].id());
    EXPECT_EQ(st.exit_code(), 3);
  }

  // 2. The kubelet's cleanup.
  KubeletCleanup();

  // 3. The census.
  ExpectNoLeaksAtAll();
}

std::string PointName(const ::testing::TestParamInfo<std::string_view>& info) {
  std::string name(info.param);
  for (char& ch : name) {
    if (ch == '/' || ch == '-') ch = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(EveryPoint, CrashPointsTest,
                         ::testing::ValuesIn(daemon::kCrashPoints.begin(),
                                             daemon::kCrashPoints.end()),
                         PointName);

}  // namespace
}  // namespace berth::testing
