// Containers on real runc, conmon and overlayfs: lifecycle, logs, exec,
// stop timeouts, OOM, resource updates, lookups and pod-level cleanup.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>

#include "test/integration/containers/container_env.h"

namespace berth::testing {
namespace {

namespace rt = runtime::v1;
namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;

TEST_F(ContainerTest, CreateStartExecStopRemoveRoundTrip) {
  std::string pod = RunPod("life");
  std::string id;
  grpc::Status s = Create(
      pod, Config("web", {"/bin/sh", "-c", "echo hello; echo oops >&2; exec sleep 1000"}), &id);
  ASSERT_TRUE(s.ok()) << s.error_message() << "\n" << d_->Log();
  ASSERT_EQ(id.size(), 64u);
  rt::ContainerStatus st = Status(id);
  EXPECT_EQ(st.state(), rt::CONTAINER_CREATED);
  EXPECT_GT(st.created_at(), 0);
  EXPECT_EQ(st.started_at(), 0);

  ASSERT_TRUE(Start(id).ok());
  st = Status(id);
  EXPECT_EQ(st.state(), rt::CONTAINER_RUNNING);
  EXPECT_GE(st.started_at(), st.created_at());
  EXPECT_EQ(st.metadata().name(), "web");
  EXPECT_EQ(st.image().image(), BusyboxRef());
  EXPECT_THAT(st.image_ref(), HasSubstr("sha256:"));
  EXPECT_THAT(st.image_id(), ::testing::StartsWith("sha256:"));
  EXPECT_EQ(st.log_path(), log_dir() + "/web.log");
  EXPECT_EQ(st.labels().at("app"), "web");

  // ExecSync: output, stderr and exit codes come back separately.
  rt::ExecSyncResponse out;
  ASSERT_TRUE(Exec(id, {"echo", "hi"}, 10, &out).ok());
  EXPECT_EQ(out.stdout(), "hi\n");
  EXPECT_EQ(out.exit_code(), 0);
  out.Clear();
  ASSERT_TRUE(Exec(id, {"/bin/sh", "-c", "echo bad >&2; exit 3"}, 10, &out).ok());
  EXPECT_EQ(out.stderr(), "bad\n");
  EXPECT_EQ(out.stdout(), "");
  EXPECT_EQ(out.exit_code(), 3);

  // The CRI log: both streams, full lines, RFC 3339 timestamps.
  EXPECT_EQ(LogText("web", "stdout"), "hello\n");
  EXPECT_EQ(LogText("web", "stderr"), "oops\n");
  EXPECT_THAT(LogOf("web"), MatchesRegex("([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\."
                                         "[0-9]+[-+Z][0-9:]* std(out|err) F [a-z]+\n)+"));

  // Stop: the image's stop signal (SIGTERM) ends sleep (not PID 1: the pod's
  // PID namespace is shared by default).
  ASSERT_TRUE(Stop(id, 10).ok());
  st = Status(id);
  EXPECT_EQ(st.state(), rt::CONTAINER_EXITED);
  EXPECT_EQ(st.exit_code(), 128 + SIGTERM);
  EXPECT_EQ(st.reason(), "Error");
  EXPECT_GE(st.finished_at(), st.started_at());
  // Stopped stays stopped; stopping again and stopping the unknown succeed.
  EXPECT_TRUE(Stop(id, 1).ok());
  EXPECT_TRUE(Stop(std::string(64, 'f'), 1).ok());
  EXPECT_EQ(Status(id).state(), rt::CONTAINER_EXITED);

  ASSERT_TRUE(Remove(id).ok());
  ExpectContainerGone(id);
  EXPECT_TRUE(Remove(id).ok()) << "remove is idempotent";
  rt::ContainerStatusRequest req;
  req.set_container_id(id);
  rt::ContainerStatusResponse resp;
  EXPECT_EQ(d_->runtime().ContainerStatus(Ctx().get(), req, &resp).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(fs::exists(log_dir() + "/web.log")) << "the kubelet's log is kept";
}

TEST_F(ContainerTest, CompletedContainerReportsExitCodeAndReason) {
  std::string pod = RunPod("done");
  std::string ok = CreateAndStart(pod, Config("ok", {"/bin/sh", "-c", "exit 0"}));
  std::string bad = CreateAndStart(pod, Config("bad", {"/bin/sh", "-c", "exit 7"}));
  rt::ContainerStatus st = WaitExited(ok);
  EXPECT_EQ(st.exit_code(), 0);
  EXPECT_EQ(st.reason(), "Completed");
  st = WaitExited(bad);
  EXPECT_EQ(st.exit_code(), 7);
  EXPECT_EQ(st.reason(), "Error");
  EXPECT_GT(st.finished_at(), 0);
}

TEST_F(ContainerTest, ArgsEnvAndWorkdirFollowKubernetesPrecedence) {
  std::string pod = RunPod("prec");
  // command replaces the image's Entrypoint+Cmd; args are appended.
  rt::ContainerConfig c = Config("cmdargs", {"/bin/sh", "-c"});
  c.add_args("echo \"$0 $FOO $PATH\"; pwd");
  c.add_args("zero");
  auto* env = c.add_envs();
  env->set_key("FOO");
  env->set_value("bar");
  c.set_working_dir("/tmp");
  std::string id = CreateAndStart(pod, c);
  WaitExited(id);
  std::string text = LogText("cmdargs");
  EXPECT_THAT(text, HasSubstr("zero bar "));
  EXPECT_THAT(text, HasSubstr("/bin")) << "the image's PATH (or the default) is kept";
  EXPECT_THAT(text, HasSubstr("\n/tmp\n"));

  // No command and no args: the image's Cmd (/bin/sh) runs and exits at once
  // without a terminal.
  rt::ContainerConfig plain = Config("plain", {});
  std::string id2 = CreateAndStart(pod, plain);
  EXPECT_EQ(WaitExited(id2).exit_code(), 0);
}

TEST_F(ContainerTest, StopTimeoutIsHonouredAndStopSignalEndsACooperativeProcess) {
  std::string pod = RunPod("stop");
  // Handles SIGTERM: stops at once with its own exit code.
  std::string polite = CreateAndStart(
      pod,
      Config("polite", {"/bin/sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.1; done"}));
  // Ignores SIGTERM: killed only once the timeout is over.
  std::string stubborn = CreateAndStart(
      pod, Config("stubborn", {"/bin/sh", "-c", "trap '' TERM; while true; do sleep 0.1; done"}));
  // Both must be running (the trap installed) before they are stopped.
  rt::ExecSyncResponse out;
  ASSERT_TRUE(Exec(polite, {"true"}, 10, &out).ok());
  ASSERT_TRUE(Exec(stubborn, {"true"}, 10, &out).ok());

  auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(Stop(polite, 30).ok());
  auto polite_took = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(Status(polite).exit_code(), 0);
  EXPECT_LT(polite_took, std::chrono::seconds(20)) << "SIGTERM was not delivered";

  t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(Stop(stubborn, 2).ok());
  auto stubborn_took = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(Status(stubborn).exit_code(), 137);
  EXPECT_GE(stubborn_took, std::chrono::seconds(2)) << "killed before the timeout";
}

TEST_F(ContainerTest, ExecSyncTimeoutKillsTheCommandAndReportsDeadlineExceeded) {
  std::string pod = RunPod("exec");
  std::string id = CreateAndStart(pod, Config("sleeper", {"sleep", "1000"}));
  rt::ExecSyncResponse out;
  grpc::Status s =
      Exec(id, {"/bin/sh", "-c", "echo started > /tmp/marker; exec sleep 300"}, 1, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << s.error_message();
  // The timed-out command is gone, not even a zombie (whose args are empty,
  // so count by name): only the container's own sleep is left.
  out.Clear();
  ASSERT_TRUE(
      Exec(id, {"/bin/sh", "-c", "cat /tmp/marker; ps -o comm | grep -c '^sleep'"}, 10, &out).ok());
  EXPECT_EQ(out.stdout(), "started\n1\n");
  // Exec in a stopped container is refused.
  ASSERT_TRUE(Stop(id, 0).ok());
  s = Exec(id, {"true"}, 5, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_F(ContainerTest, MemoryLimitBreachIsReportedAsOOMKilled) {
  std::string pod = RunPod("oom");
  rt::ContainerConfig c = Config(
      "hog", {"/bin/sh", "-c", "x=$(head -c 200000000 /dev/zero | tr '\\0' a); echo survived"});
  c.mutable_linux()->mutable_resources()->set_memory_limit_in_bytes(32 << 20);
  std::string id = CreateAndStart(pod, c);
  rt::ContainerStatus st = WaitExited(id, std::chrono::seconds(60));
  EXPECT_EQ(st.reason(), "OOMKilled") << "exit " << st.exit_code();
  EXPECT_EQ(st.exit_code(), 137);
}

TEST_F(ContainerTest, UpdateContainerResourcesReachesTheCgroupAndTheStatus) {
  std::string pod = RunPod("upd");
  rt::ContainerConfig c = Config("svc", {"sleep", "1000"});
  c.mutable_linux()->mutable_resources()->set_memory_limit_in_bytes(64 << 20);
  std::string id = CreateAndStart(pod, c);
  const std::string limit_file =
      "/sys/fs/cgroup/memory/berth/berth-" + id + "/memory.limit_in_bytes";
  auto read = [&] {
    std::ifstream in(limit_file);
    long long v = -1;
    in >> v;
    return v;
  };
  EXPECT_EQ(read(), 64 << 20);
  rt::UpdateContainerResourcesRequest req;
  req.set_container_id(id.substr(0, 12));  // a prefix resolves
  req.mutable_linux()->set_memory_limit_in_bytes(96 << 20);
  req.mutable_linux()->set_cpu_shares(512);
  rt::UpdateContainerResourcesResponse resp;
  grpc::Status s = d_->runtime().UpdateContainerResources(Ctx().get(), req, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(read(), 96 << 20);
  // cpu_shares in the cgroup itself, not only in the status berthd reports.
  std::ifstream shares("/sys/fs/cgroup/cpu/berth/berth-" + id + "/cpu.shares");
  long long cpu_shares = -1;
  EXPECT_TRUE(shares >> cpu_shares) << "no cpu.shares in the container's cgroup";
  EXPECT_EQ(cpu_shares, 512);
  EXPECT_EQ(Status(id).resources().linux().memory_limit_in_bytes(), 96 << 20);
  EXPECT_EQ(Status(id).resources().linux().cpu_shares(), 512);
}

TEST_F(ContainerTest, ReopenContainerLogWritesToANewFileAfterRotation) {
  std::string pod = RunPod("logs");
  std::string id = CreateAndStart(
      pod, Config("talker", {"/bin/sh", "-c", "while true; do echo tick; sleep 0.1; done"}));
  const std::string log = log_dir() + "/talker.log";
  ASSERT_NO_FATAL_FAILURE(WaitForLog("talker", "tick"));
  fs::rename(log, log + ".1");
  rt::ReopenContainerLogRequest req;
  req.set_container_id(id);
  rt::ReopenContainerLogResponse resp;
  grpc::Status s = d_->runtime().ReopenContainerLog(Ctx().get(), req, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  // The kubelet (and critest) look for the new file as soon as the call returns.
  EXPECT_TRUE(fs::exists(log)) << "the new log file must exist when ReopenContainerLog returns";
  // A tick in the new file: conmon writes to it, not to the renamed one.
  ASSERT_NO_FATAL_FAILURE(WaitForLog("talker", "tick")) << "conmon did not reopen the log";
  EXPECT_THAT(LogText("talker"), HasSubstr("tick"));
}

// The kubelet counts the numbered log files of a container to rebuild its
// restartCount: a create that failed in the runtime must not leave one.
TEST_F(ContainerTest, FailedCreateLeavesNoLogFile) {
  std::string pod = RunPod("nolog");
  std::string id;
  grpc::Status s = Create(pod, Config("missing", {"/no/such/program"}), &id);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.error_message(), HasSubstr("/no/such/program"));
  EXPECT_FALSE(fs::exists(log_dir() + "/missing.log"));
  // The same name is free again, and a good create of it logs normally.
  std::string ok = CreateAndStart(pod, Config("missing", {"/bin/sh", "-c", "echo fine"}));
  WaitExited(ok);
  EXPECT_EQ(LogText("missing"), "fine\n");
}

TEST_F(ContainerTest, ListFiltersAndPrefixesFindTheRightContainers) {
  std::string pod_a = RunPod("lista");
  std::string pod_b = RunPod("listb");
  std::string a1 = CreateAndStart(pod_a, Config("a1", {"sleep", "1000"}));
  std::string a2;
  ASSERT_TRUE(Create(pod_a, Config("a2", {"sleep", "1000"}), &a2).ok());
  std::string b1 = CreateAndStart(pod_b, Config("b1", {"sleep", "1000"}));

  auto list = [&](const rt::ContainerFilter& f) {
    rt::ListContainersRequest req;
    *req.mutable_filter() = f;
    rt::ListContainersResponse resp;
    EXPECT_TRUE(d_->runtime().ListContainers(Ctx().get(), req, &resp).ok());
    std::vector<std::string> ids;
    for (const auto& c : resp.containers()) ids.push_back(c.id());
    std::sort(ids.begin(), ids.end());
    return ids;
  };
  auto sorted = [](std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    return v;
  };
  EXPECT_EQ(list({}), sorted({a1, a2, b1}));
  rt::ContainerFilter by_pod;
  by_pod.set_pod_sandbox_id(pod_a.substr(0, 10));
  EXPECT_EQ(list(by_pod), sorted({a1, a2}));
  rt::ContainerFilter by_state;
  by_state.mutable_state()->set_state(rt::CONTAINER_CREATED);
  EXPECT_EQ(list(by_state), sorted({a2}));
  rt::ContainerFilter by_label;
  (*by_label.mutable_label_selector())["app"] = "b1";
  EXPECT_EQ(list(by_label), sorted({b1}));
  rt::ContainerFilter by_id;
  by_id.set_id(a1.substr(0, 8));
  EXPECT_EQ(list(by_id), sorted({a1}));
  EXPECT_EQ(Status(b1.substr(0, 12)).id(), b1);

  // StreamContainers sends the same set.
  rt::StreamContainersRequest sreq;
  auto ctx = Ctx();
  auto reader = d_->runtime().StreamContainers(ctx.get(), sreq);
  rt::StreamContainersResponse chunk;
  std::vector<std::string> streamed;
  while (reader->Read(&chunk)) {
    for (const auto& c : chunk.containers()) streamed.push_back(c.id());
  }
  ASSERT_TRUE(reader->Finish().ok());
  EXPECT_EQ(sorted(streamed), sorted({a1, a2, b1}));
}

TEST_F(ContainerTest, StoppingAndRemovingThePodTakesItsContainers) {
  std::string pod = RunPod("owner");
  std::string running = CreateAndStart(pod, Config("run", {"sleep", "1000"}));
  std::string created;
  ASSERT_TRUE(Create(pod, Config("created", {"sleep", "1000"}), &created).ok());

  rt::StopPodSandboxRequest stop;
  stop.set_pod_sandbox_id(pod);
  rt::StopPodSandboxResponse stopped;
  ASSERT_TRUE(
      d_->runtime().StopPodSandbox(Ctx(std::chrono::seconds(90)).get(), stop, &stopped).ok());
  EXPECT_EQ(Status(running).state(), rt::CONTAINER_EXITED);
  // A new container in a stopped pod is refused.
  grpc::Status s = Create(pod, Config("late", {"true"}), nullptr);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();

  rt::RemovePodSandboxRequest rm;
  rm.set_pod_sandbox_id(pod);
  rt::RemovePodSandboxResponse removed;
  ASSERT_TRUE(
      d_->runtime().RemovePodSandbox(Ctx(std::chrono::seconds(90)).get(), rm, &removed).ok());
  ExpectContainerGone(running);
  ExpectContainerGone(created);
  rt::ListContainersResponse all;
  ASSERT_TRUE(d_->runtime().ListContainers(Ctx().get(), {}, &all).ok());
  EXPECT_EQ(all.containers_size(), 0);
}

TEST_F(ContainerTest, ImageInUseCannotBeRemovedUntilItsContainerIs) {
  std::string pod = RunPod("inuse");
  std::string id;
  ASSERT_TRUE(Create(pod, Config("user", {"true"}), &id).ok());
  rt::RemoveImageRequest req;
  req.mutable_image()->set_image(BusyboxRef());
  rt::RemoveImageResponse resp;
  grpc::Status s = d_->image().RemoveImage(Ctx().get(), req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  ASSERT_TRUE(Remove(id).ok());
  s = d_->image().RemoveImage(Ctx().get(), req, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
}

TEST_F(ContainerTest, SameNameConflictsAndARetryOfTheSameRequestGetsTheContainer) {
  std::string pod = RunPod("names");
  rt::ContainerConfig c = Config("dup", {"sleep", "1000"});
  std::string first, second;
  ASSERT_TRUE(Create(pod, c, &first).ok());
  // The kubelet's retry of the same request: the same container.
  ASSERT_TRUE(Create(pod, c, &second).ok());
  EXPECT_EQ(first, second);
  // A different request under the same name: a conflict naming the holder.
  rt::ContainerConfig other = Config("dup", {"sleep", "5"});
  grpc::Status s = Create(pod, other, nullptr);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_THAT(s.error_message(), HasSubstr(first));
}

}  // namespace
}  // namespace berth::testing
