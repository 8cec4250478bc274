// berthd as a process: serving, socket handling, config errors, signals.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "test/integration/harness/berthd_fixture.h"

namespace berth::testing {
namespace {

using ::testing::HasSubstr;
namespace rt = runtime::v1;

class DaemonTest : public ::testing::Test {
 protected:
  void SetUp() override { RequireRoot(); }
};

TEST_F(DaemonTest, VersionNamesBerthAndCriV1) {
  BerthdProcess d;
  ASSERT_NO_FATAL_FAILURE(d.Start());
  rt::VersionResponse resp;
  grpc::Status s = d.runtime().Version(Ctx().get(), rt::VersionRequest(), &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(resp.runtime_name(), "berth");
  EXPECT_EQ(resp.runtime_api_version(), "v1");
  EXPECT_EQ(resp.version(), "0.1.0");
  EXPECT_FALSE(resp.runtime_version().empty());
}

TEST_F(DaemonTest, NetworkReadyFollowsTheCniConfDir) {
  BerthdProcess d;
  ASSERT_NO_FATAL_FAILURE(d.Start());
  auto network = [&] {
    rt::StatusResponse resp;
    EXPECT_TRUE(d.runtime().Status(Ctx().get(), rt::StatusRequest(), &resp).ok());
    for (const auto& c : resp.status().conditions()) {
      if (c.type() == "NetworkReady") return c;
    }
    ADD_FAILURE() << "no NetworkReady condition";
    return rt::RuntimeCondition();
  };
  rt::RuntimeCondition before = network();
  EXPECT_FALSE(before.status());
  EXPECT_EQ(before.reason(), "NetworkPluginNotReady");
  EXPECT_THAT(before.message(), HasSubstr("no CNI network config found in " + d.dir().Sub("cni")));

  // Written aside and renamed in, as config management tools do.
  std::ofstream(d.dir().Sub("10-test.conflist"))
      << R"({"cniVersion":"1.0.0","name":"t","plugins":[{"type":"loopback"}]})";
  std::filesystem::rename(d.dir().Sub("10-test.conflist"), d.dir().Sub("cni/10-test.conflist"));
  // berthd notices through inotify: poll its Status with a deadline.
  rt::RuntimeCondition after = network();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!after.status() && std::chrono::steady_clock::now() < deadline) after = network();
  EXPECT_TRUE(after.status()) << after.message();
}

TEST_F(DaemonTest, RuntimeReadyAndVerboseInfoCarryTheEffectiveConfig) {
  BerthdProcess d;
  ASSERT_NO_FATAL_FAILURE(d.Start());
  rt::StatusRequest req;
  req.set_verbose(true);
  rt::StatusResponse resp;
  ASSERT_TRUE(d.runtime().Status(Ctx().get(), req, &resp).ok());
  bool runtime_ready = false;
  for (const auto& c : resp.status().conditions()) {
    if (c.type() == "RuntimeReady") runtime_ready = c.status();
  }
  EXPECT_TRUE(runtime_ready);
  ASSERT_TRUE(resp.info().count("config"));
  auto config = nlohmann::json::parse(resp.info().at("config"));
  EXPECT_EQ(config["listen"], d.socket_path());
  EXPECT_EQ(config["default_runtime"], "runc");
  ASSERT_GE(resp.runtime_handlers_size(), 1);
  EXPECT_EQ(resp.runtime_handlers(0).name(), "runc");
}

TEST_F(DaemonTest, RuntimeReadyFalseNamesAMissingRuntimeBinary) {
  BerthdProcess d("runtimes: {ghost: {path: /nonexistent/ghost-runtime, root: /run/ghost}}\n");
  ASSERT_NO_FATAL_FAILURE(d.Start());
  rt::StatusResponse resp;
  ASSERT_TRUE(d.runtime().Status(Ctx().get(), rt::StatusRequest(), &resp).ok());
  const auto& c = resp.status().conditions(0);
  EXPECT_EQ(c.type(), "RuntimeReady");
  EXPECT_FALSE(c.status());
  EXPECT_EQ(c.reason(), "RuntimeBinaryMissing");
  EXPECT_THAT(c.message(), HasSubstr("/nonexistent/ghost-runtime"));
}

TEST_F(DaemonTest, UnbuiltRpcIsUnimplementedAndNamesItself) {
  BerthdProcess d;
  ASSERT_NO_FATAL_FAILURE(d.Start());
  // Checkpoint/restore is not built (ListMetricDescriptors, the previous
  // example, now is).
  rt::CheckpointContainerRequest req;
  req.set_container_id("any");
  rt::CheckpointContainerResponse resp;
  grpc::Status s = d.runtime().CheckpointContainer(Ctx().get(), req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNIMPLEMENTED);
  EXPECT_THAT(s.error_message(), HasSubstr("CheckpointContainer"));
}

TEST_F(DaemonTest, SocketIsOwnerAndGroupOnly) {
  BerthdProcess d;
  ASSERT_NO_FATAL_FAILURE(d.Start());
  struct stat st {};
  ASSERT_EQ(stat(d.socket_path().c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0660u);
}

TEST_F(DaemonTest, StaleSocketIsReplaced) {
  BerthdProcess d;
  std::filesystem::create_directories(d.dir().Sub("run"));
  // A socket file nobody listens on, as a killed berthd leaves behind.
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", d.socket_path().c_str());
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  close(fd);
  ASSERT_NO_FATAL_FAILURE(d.Start());
  rt::VersionResponse resp;
  EXPECT_TRUE(d.runtime().Version(Ctx().get(), rt::VersionRequest(), &resp).ok());
  EXPECT_THAT(d.Log(), HasSubstr("replaced stale socket"));
}

TEST_F(DaemonTest, SecondBerthdOnTheSameSocketIsRefused) {
  BerthdProcess d;
  ASSERT_NO_FATAL_FAILURE(d.Start());
  ProcessResult second = d.RunToExit();
  EXPECT_NE(second.exit_code, 0);
  EXPECT_THAT(second.output, HasSubstr("another berthd is already serving on " + d.socket_path()));
  // The first one still serves.
  rt::VersionResponse resp;
  EXPECT_TRUE(d.runtime().Version(Ctx().get(), rt::VersionRequest(), &resp).ok());
}

TEST_F(DaemonTest, BadConfigExitsNonZeroNamingTheKey) {
  BerthdProcess d("cni_dir: /etc/cni\n");
  ProcessResult r = d.RunToExit();
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("unknown key \"cni_dir\""));
  BerthdProcess d2("trusted_runtime: kata\n");
  r = d2.RunToExit();
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("\"trusted_runtime\" names unknown runtime \"kata\""));
}

TEST_F(DaemonTest, ConfigCommandPrintsTheEffectiveConfigWithFlagsApplied) {
  BerthdProcess d;
  ProcessResult r = d.RunToExit({"config", "--log-level", "warn"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("listen: " + d.socket_path()));
  EXPECT_THAT(r.output, HasSubstr("log_level: warn"));
  EXPECT_THAT(r.output, HasSubstr("default_workload_trust: trusted"));
}

// What a berthd stop must leave alone for one pod: its files under the root,
// the mounts under the test's directories, its infra process and the
// runtime's record of it.
struct PodFootprint {
  std::set<std::string> files, mounts;
  int pid = 0;
  std::string runtime_state;  // `runc state`'s status and pid
};

PodFootprint FootprintOf(const BerthdProcess& d, const std::string& runc_root,
                         const std::string& id) {
  PodFootprint f;
  for (const auto& e : std::filesystem::recursive_directory_iterator(d.dir().Sub("root"))) {
    if (e.path().string().find(id) != std::string::npos) f.files.insert(e.path().string());
  }
  // Mount points (field 5 of mountinfo) inside the test's own directories.
  std::ifstream mountinfo("/proc/self/mountinfo");
  for (std::string line; std::getline(mountinfo, line);) {
    std::istringstream fields(line);
    std::string skip, point;
    fields >> skip >> skip >> skip >> skip >> point;
    if (point.starts_with(d.dir().path()) || point.starts_with(runc_root)) f.mounts.insert(point);
  }
  const ProcessResult state = RunCommand({"/usr/sbin/runc", "--root", runc_root, "state", id});
  if (state.exit_code == 0) {
    const nlohmann::json j = nlohmann::json::parse(state.output, nullptr, false);
    if (j.is_object()) {
      f.runtime_state = j.value("status", "") + " pid " + std::to_string(j.value("pid", 0));
      f.pid = j.value("pid", 0);
    }
  }
  return f;
}

TEST_F(DaemonTest, SigtermExitsZeroAndRemovesNothingItShouldKeep) {
  TempDir runc_root("berth-sigterm-runc");
  BerthdProcess d("runtimes: {runc: {root: " + runc_root.path() + "}}\n");
  ASSERT_NO_FATAL_FAILURE(d.Start());
  rt::RunPodSandboxRequest run;
  rt::PodSandboxConfig* pod = run.mutable_config();
  pod->mutable_metadata()->set_name("kept");
  pod->mutable_metadata()->set_namespace_("sigterm");
  pod->mutable_metadata()->set_uid("uid-kept");
  pod->mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_network(
      rt::NODE);
  rt::RunPodSandboxResponse ran;
  grpc::Status s = d.runtime().RunPodSandbox(Ctx().get(), run, &ran);
  ASSERT_TRUE(s.ok()) << s.error_message() << "\n" << d.Log();
  const std::string id = ran.pod_sandbox_id();
  auto status = [&](rt::PodSandboxStatusResponse* out) {
    rt::PodSandboxStatusRequest req;
    req.set_pod_sandbox_id(id);
    req.set_verbose(true);
    return d.runtime().PodSandboxStatus(Ctx().get(), req, out);
  };
  rt::PodSandboxStatusResponse before_status;
  ASSERT_TRUE(status(&before_status).ok());
  const PodFootprint before = FootprintOf(d, runc_root.path(), id);
  ASSERT_GT(before.pid, 0) << "runc does not know the pod's infra container";
  ASSERT_THAT(before.runtime_state, ::testing::StartsWith("running"));
  ASSERT_FALSE(before.files.empty());
  ASSERT_FALSE(before.mounts.empty());

  EXPECT_EQ(d.StopWith(SIGTERM), 0);
  EXPECT_THAT(d.Log(), HasSubstr("berthd stopped"));
  // With berthd gone: the pod's record, mounts, infra process and runtime
  // state are all still there.
  const PodFootprint stopped = FootprintOf(d, runc_root.path(), id);
  EXPECT_EQ(stopped.files, before.files);
  EXPECT_EQ(stopped.mounts, before.mounts);
  EXPECT_EQ(stopped.runtime_state, before.runtime_state);
  EXPECT_EQ(kill(before.pid, 0), 0) << "the infra process " << before.pid << " died with berthd";

  // And the restarted berthd serves the same pod, ready, with the same infra.
  ASSERT_NO_FATAL_FAILURE(d.Start());
  rt::PodSandboxStatusResponse after_status;
  s = status(&after_status);
  ASSERT_TRUE(s.ok()) << s.error_message() << "\n" << d.Log();
  EXPECT_EQ(after_status.status().state(), rt::SANDBOX_READY);
  EXPECT_EQ(after_status.status().created_at(), before_status.status().created_at());
  EXPECT_EQ(after_status.status().metadata().name(), "kept");
  EXPECT_EQ(nlohmann::json::parse(after_status.info().at("info"))["pid"], before.pid);
  EXPECT_EQ(FootprintOf(d, runc_root.path(), id).runtime_state, before.runtime_state);

  rt::RemovePodSandboxRequest remove;
  remove.set_pod_sandbox_id(id);
  rt::RemovePodSandboxResponse removed;
  ASSERT_TRUE(d.runtime().RemovePodSandbox(Ctx().get(), remove, &removed).ok());
  EXPECT_TRUE(d.WaitRemovalsFinished());
}

TEST_F(DaemonTest, SigintExitsZero) {
  BerthdProcess d;
  ASSERT_NO_FATAL_FAILURE(d.Start());
  EXPECT_EQ(d.StopWith(SIGINT), 0);
}

TEST_F(DaemonTest, SighupReloadsTheLogLevel) {
  BerthdProcess d;
  ASSERT_NO_FATAL_FAILURE(d.Start());
  std::string config = RunCommand({"/bin/cat", d.config_path()}).output;
  auto at = config.find("log_level: debug");
  ASSERT_NE(at, std::string::npos);
  config.replace(at, 16, "log_level: warn");
  std::ofstream(d.config_path(), std::ios::trunc) << config;
  kill(d.pid(), SIGHUP);
  // The reload's own log line is the event: wait for it with a deadline.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (d.Log().find("log level is now warn") == std::string::npos &&
         std::chrono::steady_clock::now() < deadline) {
    rt::VersionResponse resp;
    d.runtime().Version(Ctx().get(), rt::VersionRequest(), &resp);  // a round trip, not a sleep
  }
  EXPECT_THAT(d.Log(), HasSubstr("log level is now warn"));
}

}  // namespace
}  // namespace berth::testing
