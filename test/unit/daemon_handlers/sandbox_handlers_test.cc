// The pod handlers (stop, remove, status, list) called on an opened Server
// over the fake runtime.
#include <signal.h>

#include <gmock/gmock.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include "test/unit/daemon_handlers/handler_env.h"

namespace berth::daemon::testing {
namespace {

namespace rt = runtime::v1;
using ::google::protobuf::util::MessageDifferencer;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

class SandboxHandlers : public HandlerTest {
 protected:
  Status StopPod(const std::string& id) {
    rt::StopPodSandboxRequest req;
    req.set_pod_sandbox_id(id);
    rt::StopPodSandboxResponse resp;
    return server_->StopPodSandbox(req, &resp);
  }
  Status RemovePod(const std::string& id) {
    rt::RemovePodSandboxRequest req;
    req.set_pod_sandbox_id(id);
    rt::RemovePodSandboxResponse resp;
    return server_->RemovePodSandbox(req, &resp);
  }
  rt::PodSandboxState PodState(const std::string& id) {
    rt::PodSandboxStatusRequest req;
    req.set_pod_sandbox_id(id);
    rt::PodSandboxStatusResponse resp;
    Status s = server_->PodSandboxStatus(req, &resp);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return resp.status().state();
  }
  rt::ContainerState ContainerState(const std::string& id) {
    return server_->containers().Read([&] { return (*server_->containers().Get(id))->state; });
  }
  // What the RPC answers (the entries' cached bytes), checked against the
  // answer built as a message.
  rt::ListPodSandboxResponse Listed(const rt::PodSandboxFilter& filter) {
    rt::ListPodSandboxRequest req;
    *req.mutable_filter() = filter;
    rt::ListPodSandboxResponse built, sent;
    EXPECT_TRUE(server_->ListPodSandbox(req, &built).ok());
    std::string encoded;
    EXPECT_TRUE(server_->ListPodSandboxEncoded(req, &encoded).ok());
    EXPECT_TRUE(sent.ParseFromString(encoded));
    EXPECT_TRUE(MessageDifferencer::Equals(built, sent))
        << "built: " << built.ShortDebugString() << "\nsent: " << sent.ShortDebugString();
    return sent;
  }
  std::vector<std::string> ListedPods(const rt::PodSandboxFilter& filter) {
    std::vector<std::string> ids;
    const rt::ListPodSandboxResponse listed = Listed(filter);
    for (const auto& p : listed.items()) ids.push_back(p.id());
    return ids;
  }
};

TEST_F(SandboxHandlers, StopStopsEveryRunningContainerThenTheInfraAndIsIdempotent) {
  auto pod = AddReadySandbox("web");
  auto a = AddContainer(*pod, "a", rt::CONTAINER_RUNNING);
  auto b = AddContainer(*pod, "b", rt::CONTAINER_RUNNING);
  auto done = AddContainer(*pod, "done", rt::CONTAINER_EXITED);
  auto other_pod = AddReadySandbox("db");
  auto other = AddContainer(*other_pod, "other", rt::CONTAINER_RUNNING);

  ASSERT_TRUE(StopPod(pod->id).ok());

  EXPECT_THAT(RuntimeCallsStartingWith("kill"),
              UnorderedElementsAre("kill " + a->id + " 15", "kill " + b->id + " 15",
                                   "kill " + pod->id + " 15"));
  // The infra goes last, once its containers are stopped.
  EXPECT_EQ(RuntimeCallsStartingWith("kill").back(), "kill " + pod->id + " 15");
  EXPECT_EQ(ContainerState(a->id), rt::CONTAINER_EXITED);
  EXPECT_EQ(ContainerState(b->id), rt::CONTAINER_EXITED);
  EXPECT_EQ(ContainerState(done->id), rt::CONTAINER_EXITED);
  EXPECT_EQ(PodState(pod->id), rt::SANDBOX_NOTREADY);
  // Another pod is not touched.
  EXPECT_EQ(ContainerState(other->id), rt::CONTAINER_RUNNING);
  EXPECT_EQ(PodState(other_pod->id), rt::SANDBOX_READY);

  // The kubelet stops again (and again): nothing more is asked of the runtime.
  const size_t calls = RuntimeCalls().size();
  ASSERT_TRUE(StopPod(pod->id).ok());
  ASSERT_TRUE(StopPod(pod->id.substr(0, 12)).ok());
  EXPECT_EQ(RuntimeCalls().size(), calls);
  EXPECT_TRUE(StopPod(std::string(64, 'f')).ok());
  EXPECT_EQ(StopPod("").code(), Code::kInvalidArgument);
}

TEST_F(SandboxHandlers, RemoveTakesThePodsContainersWithItAndLeavesNoFile) {
  auto pod = AddReadySandbox("web");
  auto a = AddContainer(*pod, "a", rt::CONTAINER_RUNNING);
  auto b = AddContainer(*pod, "b", rt::CONTAINER_EXITED);

  ASSERT_TRUE(RemovePod(pod->id).ok());

  EXPECT_THAT(ListedPods({}), IsEmpty());
  EXPECT_TRUE(server_->containers().List().empty());
  EXPECT_FALSE(server_->sandboxes().names().Get(pod->name).ok());
  server_->Shutdown();  // the removal reaper finishes its queue
  EXPECT_THAT(RuntimeCallsStartingWith("delete"),
              UnorderedElementsAre("delete --force " + a->id, "delete --force " + b->id,
                                   "delete --force " + pod->id));
  for (const std::string& gone :
       {pod->bundle_dir, a->bundle_dir, b->bundle_dir, config_.runroot + "/sandboxes/" + pod->id,
        config_.runroot + "/containers/" + a->id, config_.runroot + "/exits/" + pod->id}) {
    EXPECT_FALSE(PathExists(gone)) << gone << " is left";
  }
  EXPECT_TRUE(RemovePod(pod->id).ok()) << "removing a removed pod is success";
}

// A pod's list entry is kept as bytes: each state change shows.
TEST_F(SandboxHandlers, ListedEntryFollowsTheState) {
  auto pod = AddReadySandbox("web");
  for (rt::PodSandboxState state : {rt::SANDBOX_READY, rt::SANDBOX_NOTREADY}) {
    server_->sandboxes().Write([&] { pod->state = state; });
    rt::ListPodSandboxResponse listed = Listed({});
    ASSERT_EQ(listed.items_size(), 1);
    EXPECT_EQ(listed.items(0).state(), state);
    EXPECT_EQ(listed.items(0).id(), pod->id);
  }
}

TEST_F(SandboxHandlers, ListFiltersByIdPrefixStateAndLabels) {
  auto web = AddReadySandbox("web");
  auto db = AddReadySandbox("db");
  auto cache = AddReadySandbox("cache");
  (*web->config.mutable_labels())["app"] = "shop";
  (*db->config.mutable_labels())["app"] = "shop";
  server_->sandboxes().Write([&] { cache->state = rt::SANDBOX_NOTREADY; });

  EXPECT_THAT(ListedPods({}), UnorderedElementsAre(web->id, db->id, cache->id));
  rt::PodSandboxFilter by_id;
  by_id.set_id(db->id.substr(0, 10));
  EXPECT_THAT(ListedPods(by_id), UnorderedElementsAre(db->id));
  rt::PodSandboxFilter by_state;
  by_state.mutable_state()->set_state(rt::SANDBOX_NOTREADY);
  EXPECT_THAT(ListedPods(by_state), UnorderedElementsAre(cache->id));
  rt::PodSandboxFilter by_label;
  (*by_label.mutable_label_selector())["app"] = "shop";
  EXPECT_THAT(ListedPods(by_label), UnorderedElementsAre(web->id, db->id));
  (*by_label.mutable_label_selector())["tier"] = "front";
  EXPECT_THAT(ListedPods(by_label), IsEmpty());
}

}  // namespace
}  // namespace berth::daemon::testing
