// The container handlers (stop, remove, exec, update, status, list) called on
// an opened Server over the fake runtime: what each asks the runtime, what it
// records and what it leaves on disk.
#include <signal.h>

#include <cerrno>
#include <string>

#include <fstream>

#include <gmock/gmock.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include "daemon/bundle_marker.h"
#include "daemon/removal_reaper.h"
#include "pkg/fs/atomic_file.h"
#include "pkg/fs/dir.h"
#include "test/unit/daemon_handlers/handler_env.h"

namespace berth::daemon::testing {
namespace {

namespace rt = runtime::v1;
using ::google::protobuf::util::MessageDifferencer;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

class ContainerHandlers : public HandlerTest {
 protected:
  rt::ContainerStatus StatusOf(const std::string& id) {
    rt::ContainerStatusRequest req;
    req.set_container_id(id);
    rt::ContainerStatusResponse resp;
    Status s = server_->ContainerStatus(req, &resp);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return resp.status();
  }
  Status Stop(const std::string& id, int64_t timeout) {
    rt::StopContainerRequest req;
    req.set_container_id(id);
    req.set_timeout(timeout);
    rt::StopContainerResponse resp;
    return server_->StopContainer(req, &resp);
  }
  Status Remove(const std::string& id) {
    rt::RemoveContainerRequest req;
    req.set_container_id(id);
    rt::RemoveContainerResponse resp;
    return server_->RemoveContainer(req, &resp);
  }
  Result<rt::ExecSyncResponse> ExecSync(const std::string& id, std::vector<std::string> cmd,
                                        int64_t timeout = 0) {
    rt::ExecSyncRequest req;
    req.set_container_id(id);
    for (auto& a : cmd) req.add_cmd(std::move(a));
    req.set_timeout(timeout);
    rt::ExecSyncResponse resp;
    BERTH_RETURN_IF_ERROR(server_->ExecSync(req, &resp));
    return resp;
  }
  // What the RPC answers (the entries' cached bytes), checked against the
  // answer built as a message.
  rt::ListContainersResponse Listed(const rt::ContainerFilter& filter) {
    rt::ListContainersRequest req;
    *req.mutable_filter() = filter;
    rt::ListContainersResponse built, sent;
    EXPECT_TRUE(server_->ListContainers(req, &built).ok());
    std::string encoded;
    EXPECT_TRUE(server_->ListContainersEncoded(req, &encoded).ok());
    EXPECT_TRUE(sent.ParseFromString(encoded));
    EXPECT_TRUE(MessageDifferencer::Equals(built, sent))
        << "built: " << built.ShortDebugString() << "\nsent: " << sent.ShortDebugString();
    return sent;
  }
  std::vector<std::string> ListedIds(const rt::ContainerFilter& filter) {
    std::vector<std::string> ids;
    const rt::ListContainersResponse listed = Listed(filter);
    for (const auto& c : listed.containers()) ids.push_back(c.id());
    return ids;
  }
  std::string ExitFile(const std::string& id) const { return config_.runroot + "/exits/" + id; }
};

TEST_F(ContainerHandlers, StopSendsTheImageStopSignalAndRecordsTheExit) {
  auto pod = AddReadySandbox("web");
  auto c = AddContainer(*pod, "app", rt::CONTAINER_RUNNING);
  c->stop_signal = SIGINT;

  ASSERT_TRUE(Stop(c->id, 30).ok());

  EXPECT_THAT(RuntimeCallsStartingWith("kill"), ElementsAre("kill " + c->id + " 2"));
  rt::ContainerStatus st = StatusOf(c->id);
  EXPECT_EQ(st.state(), rt::CONTAINER_EXITED);
  EXPECT_EQ(st.exit_code(), 128 + SIGINT);
  EXPECT_GT(st.finished_at(), 0);
  // Persisted, not only in memory: state.json beside config.json says so.
  Result<std::string> state = ReadFile(c->bundle_dir + "/state.json");
  ASSERT_TRUE(state.ok()) << state.status().ToString();
  EXPECT_THAT(*state, HasSubstr("130"));
}

TEST_F(ContainerHandlers, StopEscalatesToSigkillOfEveryProcessWhenTheSignalIsIgnored) {
  auto pod = AddReadySandbox("web");
  auto c = AddContainer(*pod, "app", rt::CONTAINER_RUNNING);
  SetRuntimeFlag(c->id, "ignore-15");

  ASSERT_TRUE(Stop(c->id, 1).ok());

  EXPECT_THAT(RuntimeCallsStartingWith("kill"),
              ElementsAre("kill " + c->id + " 15", "kill --all " + c->id + " 9"));
  rt::ContainerStatus st = StatusOf(c->id);
  EXPECT_EQ(st.state(), rt::CONTAINER_EXITED);
  EXPECT_EQ(st.exit_code(), 128 + SIGKILL);
}

TEST_F(ContainerHandlers, StopWithTimeoutZeroKillsAtOnce) {
  auto pod = AddReadySandbox("web");
  auto c = AddContainer(*pod, "app", rt::CONTAINER_RUNNING);

  ASSERT_TRUE(Stop(c->id, 0).ok());

  EXPECT_THAT(RuntimeCallsStartingWith("kill"), ElementsAre("kill --all " + c->id + " 9"));
  EXPECT_EQ(StatusOf(c->id).state(), rt::CONTAINER_EXITED);
}

TEST_F(ContainerHandlers, StopOfAnExitedOrUnknownContainerSucceedsWithoutTheRuntime) {
  auto pod = AddReadySandbox("web");
  auto c = AddContainer(*pod, "app", rt::CONTAINER_EXITED);

  EXPECT_TRUE(Stop(c->id, 10).ok());
  EXPECT_TRUE(Stop(std::string(64, 'f'), 10).ok());
  EXPECT_EQ(Stop("", 10).code(), Code::kInvalidArgument);
  EXPECT_EQ(Stop(c->id, -1).code(), Code::kInvalidArgument);

  EXPECT_THAT(RuntimeCalls(), IsEmpty());
  EXPECT_EQ(StatusOf(c->id).state(), rt::CONTAINER_EXITED);
}

TEST_F(ContainerHandlers, RemoveKillsDeletesAndLeavesNoFileBehind) {
  auto pod = AddReadySandbox("web");
  auto c = AddContainer(*pod, "app", rt::CONTAINER_RUNNING);
  const std::string run_dir = config_.runroot + "/containers/" + c->id;

  ASSERT_TRUE(Remove(c->id).ok());
  // Gone for clients at once; its name is free for the next attempt.
  rt::ContainerStatusRequest req;
  req.set_container_id(c->id);
  rt::ContainerStatusResponse resp;
  EXPECT_EQ(server_->ContainerStatus(req, &resp).code(), Code::kNotFound);
  EXPECT_THAT(ListedIds({}), IsEmpty());
  EXPECT_FALSE(server_->containers().names().Get(c->name).ok());

  server_->Shutdown();  // the removal reaper finishes its queue
  EXPECT_THAT(RuntimeCallsStartingWith("kill"), ElementsAre("kill --all " + c->id + " 9"));
  EXPECT_THAT(RuntimeCallsStartingWith("delete"), ElementsAre("delete --force " + c->id));
  EXPECT_FALSE(PathExists(c->bundle_dir));
  EXPECT_FALSE(PathExists(run_dir));
  EXPECT_FALSE(PathExists(ExitFile(c->id)));
  EXPECT_FALSE(PathExists(RuntimeFile(c->id, "status")));
}

TEST_F(ContainerHandlers, RemovalTheRuntimeRefusesOnceIsFinishedByItsRetry) {
  auto pod = AddReadySandbox("web");
  auto c = AddContainer(*pod, "app", rt::CONTAINER_EXITED);
  SetRuntimeFlag(c->id, "fail-delete-once");

  ASSERT_TRUE(Remove(c->id).ok());
  server_->Shutdown();  // after the queued removals, retries included

  EXPECT_THAT(RuntimeCallsStartingWith("delete"),
              ElementsAre("delete --force " + c->id, "delete --force " + c->id));
  EXPECT_FALSE(PathExists(c->bundle_dir)) << "finished without a restart";
  EXPECT_FALSE(PathExists(RuntimeFile(c->id, "status")));
}

TEST_F(ContainerHandlers, RemovalTheRuntimeKeepsRefusingIsFinishedByTheNextStart) {
  auto pod = AddReadySandbox("web");
  auto c = AddContainer(*pod, "app", rt::CONTAINER_EXITED);
  SetRuntimeFlag(c->id, "fail-delete");

  ASSERT_TRUE(Remove(c->id).ok());
  server_->Shutdown();
  // The runtime still holds it after every retry: the bundle stays, marked,
  // for restore.
  const size_t attempts = 1 + RemovalReaper::DefaultRetryDelays().size();
  ASSERT_EQ(RuntimeCallsStartingWith("delete --force " + c->id).size(), attempts);
  EXPECT_TRUE(HasMarker(c->bundle_dir, kRemovingMarker));

  ASSERT_EQ(unlink(RuntimeFile(c->id, "fail-delete").c_str()), 0);
  Restart();

  EXPECT_EQ(RuntimeCallsStartingWith("delete --force " + c->id).size(), attempts + 1);
  EXPECT_FALSE(PathExists(c->bundle_dir));
  EXPECT_FALSE(PathExists(RuntimeFile(c->id, "status")));
  EXPECT_THAT(ListedIds({}), IsEmpty());
}

TEST_F(ContainerHandlers, ExecSyncRunsTheCommandAsTheContainersOwnProcess) {
  auto pod = AddReadySandbox("web");
  auto c = AddContainer(*pod, "app", rt::CONTAINER_RUNNING);

  Result<rt::ExecSyncResponse> out = ExecSync(c->id, {"cat", "/etc/hostname"});
  ASSERT_TRUE(out.ok()) << out.status().ToString();

  EXPECT_EQ(out->stdout(), "out of " + c->id + "\n");
  EXPECT_EQ(out->stderr(), "err of " + c->id + "\n");
  EXPECT_EQ(out->exit_code(), 0);
  Result<std::string> text = ReadFile(RuntimeFile(c->id, "process.json"));
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  nlohmann::json process = nlohmann::json::parse(*text);
  nlohmann::json expected = DefaultProcess();
  expected["args"] = {"cat", "/etc/hostname"};
  EXPECT_EQ(process, expected);
  // The exec's process and pid files are gone once it answered.
  Result<std::vector<std::string>> left = ListDir(config_.runroot + "/containers/" + c->id);
  ASSERT_TRUE(left.ok());
  EXPECT_THAT(*left, IsEmpty());
}

TEST_F(ContainerHandlers, ExecSyncAnswersTheCommandsNonZeroExitCode) {
  auto pod = AddReadySandbox("web");
  auto c = AddContainer(*pod, "app", rt::CONTAINER_RUNNING);
  SetRuntimeFlag(c->id, "exec-exit", "3");

  Result<rt::ExecSyncResponse> out = ExecSync(c->id, {"false"});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->exit_code(), 3);
}

TEST_F(ContainerHandlers, ExecSyncPastItsTimeoutKillsTheCommandAndSaysSo) {
  auto pod = AddReadySandbox("web");
  auto c = AddContainer(*pod, "app", rt::CONTAINER_RUNNING);
  SetRuntimeFlag(c->id, "exec-hang");

  Result<rt::ExecSyncResponse> out = ExecSync(c->id, {"sleep", "1000"}, 1);

  ASSERT_EQ(out.status().code(), Code::kDeadlineExceeded) << out.status().ToString();
  EXPECT_THAT(out.status().message(), HasSubstr("timed out after 1s and was killed"));
  // The command (named by the pid file the runtime wrote) is gone.
  Result<std::string> pid = ReadFile(RuntimeFile(c->id, "exec-pid"));
  ASSERT_TRUE(pid.ok()) << pid.status().ToString();
  EXPECT_EQ(::kill(std::stoi(*pid), 0), -1);
  EXPECT_EQ(errno, ESRCH);
}

TEST_F(ContainerHandlers, ExecSyncIsRefusedForAContainerThatIsNotRunning) {
  auto pod = AddReadySandbox("web");
  auto created = AddContainer(*pod, "new", rt::CONTAINER_CREATED);
  auto exited = AddContainer(*pod, "old", rt::CONTAINER_EXITED);

  EXPECT_EQ(ExecSync(created->id, {"true"}).status().code(), Code::kFailedPrecondition);
  EXPECT_EQ(ExecSync(exited->id, {"true"}).status().code(), Code::kFailedPrecondition);
  EXPECT_EQ(ExecSync(std::string(64, 'f'), {"true"}).status().code(), Code::kNotFound);
  EXPECT_EQ(ExecSync(exited->id, {}).status().code(), Code::kInvalidArgument);
  EXPECT_THAT(RuntimeCalls(), IsEmpty());
}

TEST_F(ContainerHandlers, UpdateResourcesHandsTheRuntimeTheLimitsAndStatusShowsThem) {
  auto pod = AddReadySandbox("web");
  auto c = AddContainer(*pod, "app", rt::CONTAINER_RUNNING);
  rt::UpdateContainerResourcesRequest req;
  req.set_container_id(c->id);
  req.mutable_linux()->set_memory_limit_in_bytes(256 << 20);
  req.mutable_linux()->set_cpu_quota(50000);
  req.mutable_linux()->set_cpu_period(100000);
  rt::UpdateContainerResourcesResponse resp;

  Status s = server_->UpdateContainerResources(req, &resp);
  ASSERT_TRUE(s.ok()) << s.ToString();

  Result<std::string> text = ReadFile(RuntimeFile(c->id, "resources.json"));
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  nlohmann::json given = nlohmann::json::parse(*text);
  EXPECT_EQ(given["memory"]["limit"], 256 << 20);
  EXPECT_EQ(given["cpu"]["quota"], 50000);
  EXPECT_EQ(given["cpu"]["period"], 100000);
  rt::ContainerStatus st = StatusOf(c->id);
  EXPECT_EQ(st.resources().linux().memory_limit_in_bytes(), 256 << 20);
  EXPECT_EQ(st.resources().linux().cpu_quota(), 50000);
}

TEST_F(ContainerHandlers, AContainerStillBeingCreatedIsNeitherListedNorFound) {
  auto pod = AddReadySandbox("web");
  auto done = AddContainer(*pod, "done", rt::CONTAINER_CREATED);
  auto busy = AddContainer(*pod, "busy", rt::CONTAINER_CREATED);
  server_->containers().Write([&] { busy->stage = "mounting rootfs"; });

  EXPECT_THAT(ListedIds({}), ElementsAre(done->id));
  rt::ContainerStatusRequest req;
  req.set_container_id(busy->id);
  rt::ContainerStatusResponse resp;
  Status s = server_->ContainerStatus(req, &resp);
  EXPECT_EQ(s.code(), Code::kNotFound);
  EXPECT_THAT(s.message(), HasSubstr("still being created"));
}

// A container's list entry is kept as bytes: each state change shows.
TEST_F(ContainerHandlers, ListedEntryFollowsTheState) {
  auto pod = AddReadySandbox("web");
  auto c = AddContainer(*pod, "app", rt::CONTAINER_CREATED);
  for (rt::ContainerState state :
       {rt::CONTAINER_CREATED, rt::CONTAINER_RUNNING, rt::CONTAINER_EXITED}) {
    server_->containers().Write([&] { c->state = state; });
    rt::ListContainersResponse listed = Listed({});
    ASSERT_EQ(listed.containers_size(), 1);
    EXPECT_EQ(listed.containers(0).state(), state);
    EXPECT_EQ(listed.containers(0).metadata().name(), "app");
    rt::ContainerFilter by_state;
    by_state.mutable_state()->set_state(state);
    EXPECT_THAT(ListedIds(by_state), ElementsAre(c->id));
  }
}

TEST_F(ContainerHandlers, ListFiltersByIdPrefixPodStateAndLabels) {
  auto web = AddReadySandbox("web");
  auto db = AddReadySandbox("db");
  auto a = AddContainer(*web, "a", rt::CONTAINER_RUNNING);
  auto b = AddContainer(*web, "b", rt::CONTAINER_EXITED);
  auto d = AddContainer(*db, "d", rt::CONTAINER_RUNNING);
  (*a->config.mutable_labels())["tier"] = "front";
  (*d->config.mutable_labels())["tier"] = "back";

  EXPECT_THAT(ListedIds({}), UnorderedElementsAre(a->id, b->id, d->id));
  rt::ContainerFilter by_id;
  by_id.set_id(b->id.substr(0, 12));
  EXPECT_THAT(ListedIds(by_id), ElementsAre(b->id));
  rt::ContainerFilter by_pod;
  by_pod.set_pod_sandbox_id(web->id.substr(0, 12));
  EXPECT_THAT(ListedIds(by_pod), UnorderedElementsAre(a->id, b->id));
  rt::ContainerFilter by_state;
  by_state.mutable_state()->set_state(rt::CONTAINER_RUNNING);
  EXPECT_THAT(ListedIds(by_state), UnorderedElementsAre(a->id, d->id));
  rt::ContainerFilter by_label;
  (*by_label.mutable_label_selector())["tier"] = "back";
  EXPECT_THAT(ListedIds(by_label), ElementsAre(d->id));
  rt::ContainerFilter none;
  none.set_id(std::string(64, 'f'));
  EXPECT_THAT(ListedIds(none), IsEmpty());
}

}  // namespace
}  // namespace berth::daemon::testing
