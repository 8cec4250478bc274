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

TEST_F(DaemonTest, SigtermExitsZeroAndRemovesNothingItShouldKeep) {
  BerthdProcess d;
  ASSERT_NO_FATAL_FAILURE(d.Start());
  EXPECT_EQ(d.StopWith(SIGTERM), 0);
  EXPECT_THAT(d.Log(), HasSubstr("berthd stopped"));
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
