// Restore across berthd restarts, on real runc, conmon, CNI and overlayfs:
// statuses identical before and after, names and prefixes kept, running
// containers still running; an exit while berthd was down; damaged entries
// quarantined; a simulated reboot; and a routing change that must not move
// an existing pod to another runtime.
#include <gmock/gmock.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "test/integration/restore/restore_env.h"

namespace berth::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

// Empty when equal; otherwise what differs.
std::string Diff(const google::protobuf::Message& before, const google::protobuf::Message& after) {
  google::protobuf::util::MessageDifferencer differ;
  std::string report;
  differ.ReportDifferencesToString(&report);
  return differ.Compare(before, after) ? "" : report;
}

class RestoreTest : public RestoreFixture {
 protected:
  static void AddLabels(google::protobuf::Map<std::string, std::string>* labels) {
    for (const char* k : {"alpha", "bravo", "charlie", "delta", "echo", "foxtrot"}) {
      (*labels)[std::string("io.berth.test/") + k] = k;
    }
  }
  rt::ImageStatusResponse ImageStatus() {
    rt::ImageStatusRequest req;
    req.mutable_image()->set_image(BusyboxRef());
    rt::ImageStatusResponse resp;
    grpc::Status s = d_->image().ImageStatus(Ctx().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }
  rt::ContainerStatusResponse ContainerStatusOk(const std::string& id) {
    rt::ContainerStatusResponse resp;
    grpc::Status s = ContainerStatus(id, &resp);
    EXPECT_TRUE(s.ok()) << id << ": " << s.error_message();
    return resp;
  }
  bool InRuntimeRoot(const std::string& root, const std::string& id) {
    return RunCommand({kRunc, "--root", root, "state", id}).exit_code == 0;
  }
  // A container that runs until a file appears in its root filesystem.
  rt::ContainerConfig WaitsForGo(const std::string& name, int code) {
    return Config(name,
                  {"/bin/sh", "-c",
                   "while [ ! -e /tmp/go ]; do sleep 0.1; done; exit " + std::to_string(code)});
  }
};

// (a) Whole responses identical, names reserved, prefixes resolving, and the
// running container still running and controllable.
TEST_F(RestoreTest, RestartKeepsStatusesNamesPrefixesAndRunningContainers) {
  ASSERT_NO_FATAL_FAILURE(StartRestoreDaemon());
  ASSERT_NO_FATAL_FAILURE(PullBusybox());
  // Several labels: a retry must match the recorded config whatever the
  // order in which a map happens to serialize.
  rt::PodSandboxConfig live_cfg = PodConfig("live", "uid-live");
  live_cfg.set_log_directory(LogDir());
  AddLabels(live_cfg.mutable_labels());
  std::string live;
  ASSERT_TRUE(Run(live_cfg, &live).ok()) << d_->Log();
  rt::ContainerConfig runner_cfg = TermExiting("runner", 7);
  AddLabels(runner_cfg.mutable_labels());
  std::string runner = CreateAndStartOk(live, runner_cfg);
  std::string quitter = CreateAndStartOk(live, Config("quitter", {"/bin/sh", "-c", "exit 3"}));
  ASSERT_EQ(WaitExited(quitter).exit_code(), 3);
  rt::PodSandboxConfig stopped_cfg = PodConfig("stopped", "uid-stopped");
  std::string stopped;
  ASSERT_TRUE(Run(stopped_cfg, &stopped).ok()) << d_->Log();
  ASSERT_TRUE(Stop(stopped).ok());

  auto live_before = Status(live), stopped_before = Status(stopped);
  ASSERT_EQ(live_before.status().state(), rt::SANDBOX_READY);
  ASSERT_EQ(stopped_before.status().state(), rt::SANDBOX_NOTREADY);
  auto runner_before = ContainerStatusOk(runner), quitter_before = ContainerStatusOk(quitter);
  ASSERT_EQ(runner_before.status().state(), rt::CONTAINER_RUNNING);
  auto image_before = ImageStatus();
  ASSERT_TRUE(image_before.has_image());

  StopDaemon();
  ASSERT_NO_FATAL_FAILURE(Restart());

  EXPECT_EQ(Diff(live_before, Status(live)), "") << "ready pod";
  EXPECT_EQ(Diff(stopped_before, Status(stopped)), "") << "stopped pod";
  EXPECT_EQ(Diff(runner_before, ContainerStatusOk(runner)), "") << "running container";
  EXPECT_EQ(Diff(quitter_before, ContainerStatusOk(quitter)), "") << "exited container";
  EXPECT_EQ(Diff(image_before, ImageStatus()), "") << "image";

  // Names: the kubelet's retry gets the same object; another config the conflict.
  std::string again;
  grpc::Status s = Create(live, runner_cfg, &again);
  EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(again, runner);
  s = Create(live, Config("runner", {"/bin/true"}), nullptr);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS) << s.error_message();
  s = Run(live_cfg, &again);
  EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(again, live);
  s = Run(stopped_cfg, nullptr);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS) << s.error_message();

  // Prefixes.
  EXPECT_EQ(ContainerStatusOk(runner.substr(0, 12)).status().id(), runner);
  EXPECT_EQ(Status(live.substr(0, 12)).status().id(), live);

  // The running container runs on: exec, then a stop that records its exit.
  rt::ExecSyncResponse out;
  s = Exec(runner, {"/bin/echo", "still-here"}, &out);
  ASSERT_TRUE(s.ok()) << s.error_message() << "\n" << d_->Log();
  EXPECT_EQ(out.exit_code(), 0);
  EXPECT_EQ(out.stdout(), "still-here\n");
  s = StopContainer(runner, 10);
  ASSERT_TRUE(s.ok()) << s.error_message();
  rt::ContainerStatus st = ContainerStatusOk(runner).status();
  EXPECT_EQ(st.state(), rt::CONTAINER_EXITED);
  EXPECT_EQ(st.exit_code(), 7);
  EXPECT_GT(st.finished_at(), runner_before.status().started_at());

  KubeletCleanup();
  ExpectNoLeaksAtAll();
}

// (b) An exit conmon recorded while berthd was down is seen at restart.
TEST_F(RestoreTest, ExitWhileDaemonIsDownIsRecorded) {
  ASSERT_NO_FATAL_FAILURE(StartRestoreDaemon());
  ASSERT_NO_FATAL_FAILURE(PullBusybox());
  std::string pod = RunPodOk("waiting");
  std::string id = CreateAndStartOk(pod, WaitsForGo("waiter", 5));
  rt::ContainerStatus running = ContainerStatusOk(id).status();
  ASSERT_EQ(running.state(), rt::CONTAINER_RUNNING);

  StopDaemon();
  const std::string tmp = ContainerBundle(id) + "/rootfs/tmp";
  fs::create_directories(tmp);
  std::ofstream(tmp + "/go").flush();
  const std::string exit_file = RunRoot() + "/exits/" + id;
  ASSERT_TRUE(WaitFor([&] { return fs::exists(exit_file); }, std::chrono::seconds(30)))
      << "conmon wrote no exit file";
  ASSERT_NO_FATAL_FAILURE(Restart());

  rt::ContainerStatus st = ContainerStatusOk(id).status();
  EXPECT_EQ(st.state(), rt::CONTAINER_EXITED);
  EXPECT_EQ(st.exit_code(), 5);
  EXPECT_EQ(st.started_at(), running.started_at());
  EXPECT_GT(st.finished_at(), st.started_at());
  EXPECT_EQ(Status(pod).status().state(), rt::SANDBOX_READY) << "the pod itself still runs";

  KubeletCleanup();
  ExpectNoLeaksAtAll();
}

// (c) A truncated config.json and a stray directory are set aside with a log
// line naming path and reason; berthd serves everything else.
TEST_F(RestoreTest, DamagedEntriesAreQuarantinedAndTheRestIsServed) {
  ASSERT_NO_FATAL_FAILURE(StartRestoreDaemon());
  ASSERT_NO_FATAL_FAILURE(PullBusybox());
  std::string pod = RunPodOk("survivor");
  std::string good = CreateAndStartOk(pod, TermExiting("good"));
  std::string bad = CreateAndStartOk(pod, TermExiting("bad"));
  StopDaemon();

  const std::string bad_config = ContainerBundle(bad) + "/config.json";
  fs::resize_file(bad_config, fs::file_size(bad_config) / 2);
  const std::string stray = Root() + "/sandboxes/stray-dir";
  fs::create_directories(stray);
  std::ofstream(stray + "/junk") << "not a sandbox";
  ASSERT_NO_FATAL_FAILURE(Restart());

  // Set aside, and said so with the path and the reason.
  std::vector<std::string> q = ListDirOrEmpty(Root() + "/quarantine");
  ASSERT_EQ(q.size(), 2u) << ::testing::PrintToString(q);
  EXPECT_THAT(q, ::testing::Contains(::testing::StartsWith("container-" + bad + "-")));
  EXPECT_THAT(q, ::testing::Contains(::testing::StartsWith("sandbox-stray-dir-")));
  EXPECT_FALSE(fs::exists(ContainerBundle(bad)));
  EXPECT_FALSE(fs::exists(stray));
  const std::string log = d_->Log();
  EXPECT_THAT(log, HasSubstr(ContainerBundle(bad)));
  EXPECT_THAT(log, HasSubstr("truncated"));
  EXPECT_THAT(log, HasSubstr(stray));
  EXPECT_THAT(log, HasSubstr("not a sandbox ID"));
  // What the quarantined container held outside its bundle is released.
  EXPECT_FALSE(InRuntimeRoot(RuncRoot(), bad)) << "runc state of the quarantined container";
  EXPECT_THAT(Slurp("/proc/self/mountinfo"), Not(HasSubstr(bad))) << "its rootfs is mounted";

  // The rest is served.
  std::vector<rt::Container> listed = ListContainers();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].id(), good);
  EXPECT_EQ(List().size(), 1u);
  rt::ExecSyncResponse out;
  grpc::Status s = Exec(good, {"/bin/true"}, &out);
  EXPECT_TRUE(s.ok()) << s.error_message();
  // The quarantined container's name is free again: the kubelet recreates it.
  std::string again = CreateAndStartOk(pod, TermExiting("bad"));
  EXPECT_NE(again, bad);

  KubeletCleanup();
  // The quarantine is for people to look at; the census covers everything else.
  for (const auto& target : ListDirOrEmpty(Root() + "/quarantine")) {
    EXPECT_THAT(Slurp("/proc/self/mountinfo"), Not(HasSubstr(target))) << "mounted in quarantine";
  }
  fs::remove_all(Root() + "/quarantine");
  ExpectNoLeaksAtAll();
}

// (d) A node reboot: processes, mounts, runroot and runtime state gone.
TEST_F(RestoreTest, AfterRebootPodsAreNotReadyContainersExitedAndCleanupLeaksNothing) {
  ASSERT_NO_FATAL_FAILURE(StartRestoreDaemon());
  ASSERT_NO_FATAL_FAILURE(PullBusybox());
  std::string pod = RunPodOk("rebooted");
  std::string host_pod = RunPodOk("rebooted-host", /*host_network=*/true);
  std::string running = CreateAndStartOk(pod, TermExiting("running"));
  std::string created = CreateOk(pod, TermExiting("created"));
  std::string other = CreateAndStartOk(host_pod, TermExiting("other"));
  StopDaemon();

  // The reboot: every process of the pods dies, mounts and tmpfs go.
  std::istringstream ids(RunCommand({kRunc, "--root", RuncRoot(), "list", "-q"}).output);
  for (std::string id; std::getline(ids, id);) {
    if (id.empty()) continue;
    RunCommand({kRunc, "--root", RuncRoot(), "kill", id, "KILL"});
    EXPECT_EQ(RunCommand({kRunc, "--root", RuncRoot(), "delete", "--force", id}).exit_code, 0);
  }
  EXPECT_TRUE(WaitFor(
      [&] {
        return RunCommand({"/usr/bin/pgrep", "-f", "conmon.*" + d_->dir().path()}).exit_code != 0;
      },
      std::chrono::seconds(30)))
      << "conmon outlived its containers";
  for (int pass = 0; pass < 3; ++pass) {  // stacked and shared mounts
    for (const auto& t : MountPointsUnder(d_->dir().path())) {
      if (t != d_->dir().path()) umount2(t.c_str(), MNT_DETACH);
    }
  }
  fs::remove_all(RunRoot());
  fs::remove_all(RuncRoot());
  ASSERT_NO_FATAL_FAILURE(Restart());

  for (const std::string& p : {pod, host_pod}) {
    EXPECT_EQ(Status(p).status().state(), rt::SANDBOX_NOTREADY) << p;
  }
  for (const std::string& c : {running, created, other}) {
    rt::ContainerStatus st = ContainerStatusOk(c).status();
    EXPECT_EQ(st.state(), rt::CONTAINER_EXITED) << c;
    EXPECT_EQ(st.reason(), "Unknown") << c;
    EXPECT_EQ(st.exit_code(), 255) << c;
  }

  KubeletCleanup();
  ExpectNoLeaksAtAll();
}

// (e) The routing config changes; an existing pod keeps its recorded runtime.
TEST_F(RestoreTest, ExistingPodKeepsItsRuntimeWhenTrustDefaultChanges) {
  const std::string rec_log = tmp_.Sub("recorder.log");
  std::ofstream(rec_log).flush();
  WriteScript(tmp_.Sub("recorder"), "BERTH_TEST_RUNTIME_LOG=" + rec_log + " exec " +
                                        TestdataPath("runtimes/recording-runtime") + " \"$@\"");
  const std::string runtimes =
      std::string("runtimes:\n") + "  runc: {path: " + kRunc + ", root: " + RuncRoot() +
      ", type: oci}\n" + "  recorder: {path: " + tmp_.Sub("recorder") + ", root: " + RecRoot() +
      ", type: oci}\n" +
      "default_runtime: runc\ntrusted_runtime: runc\nuntrusted_runtime: recorder\n";
  ASSERT_NO_FATAL_FAILURE(StartRestoreDaemon("", runtimes + "default_workload_trust: untrusted\n"));
  ASSERT_NO_FATAL_FAILURE(PullBusybox());
  std::string pod = RunPodOk("untrusted");
  ASSERT_THAT(Slurp(rec_log), HasSubstr(pod)) << "the pod did not start on the recorder";
  std::string before = CreateAndStartOk(pod, TermExiting("before"));
  EXPECT_TRUE(InRuntimeRoot(RecRoot(), before));
  StopDaemon();

  // The same config, but workloads are now trusted by default.
  std::string config = Slurp(d_->config_path());
  const std::string from = "default_workload_trust: untrusted";
  ASSERT_NE(config.find(from), std::string::npos);
  config.replace(config.find(from), from.size(), "default_workload_trust: trusted");
  std::ofstream(d_->config_path()) << config;
  ASSERT_NO_FATAL_FAILURE(Restart());

  // The new default holds for new pods...
  std::string fresh = RunPodOk("trusted-now");
  EXPECT_THAT(Slurp(rec_log), Not(HasSubstr(fresh)));
  EXPECT_TRUE(InRuntimeRoot(RuncRoot(), fresh));
  // ...but the old pod's new container is made by the recorded runtime.
  EXPECT_EQ(Status(pod).status().runtime_handler(), "recorder");
  std::string after = CreateAndStartOk(pod, TermExiting("after"));
  std::string recorded = Slurp(rec_log);
  EXPECT_THAT(recorded, HasSubstr("create"));
  EXPECT_THAT(recorded, HasSubstr(after)) << "the new container bypassed the recorder";
  EXPECT_TRUE(InRuntimeRoot(RecRoot(), after));
  EXPECT_FALSE(InRuntimeRoot(RuncRoot(), after));

  KubeletCleanup();
  ExpectNoLeaksAtAll({RuncRoot(), RecRoot()});
}

}  // namespace
}  // namespace berth::testing
