// The node-level handlers and the refusals that happen before anything is
// made (Version, Status, RunPodSandbox and CreateContainer validation) on an
// opened Server over the fake runtime.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "pkg/fs/dir.h"
#include "test/unit/daemon_handlers/handler_env.h"

namespace berth::daemon::testing {
namespace {

namespace rt = runtime::v1;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

class RuntimeHandlers : public HandlerTest {
 protected:
  const rt::RuntimeCondition* Condition(const rt::StatusResponse& resp, const std::string& type) {
    for (const auto& c : resp.status().conditions()) {
      if (c.type() == type) return &c;
    }
    ADD_FAILURE() << "no condition " << type;
    return nullptr;
  }
  rt::PodSandboxConfig PodConfig(const std::string& name) {
    rt::PodSandboxConfig p;
    p.mutable_metadata()->set_name(name);
    p.mutable_metadata()->set_namespace_("default");
    p.mutable_metadata()->set_uid("uid-" + name);
    return p;
  }
  std::vector<std::string> Entries(const std::string& dir) {
    Result<std::vector<std::string>> names = ListDir(dir);
    EXPECT_TRUE(names.ok()) << dir;
    return names.ok() ? *names : std::vector<std::string>{};
  }
};

TEST_F(RuntimeHandlers, VersionNamesBerthAndCriV1) {
  rt::VersionResponse resp;
  ASSERT_TRUE(server_->Version({}, &resp).ok());
  EXPECT_EQ(resp.runtime_name(), "berth");
  EXPECT_EQ(resp.runtime_api_version(), "v1");
  EXPECT_FALSE(resp.runtime_version().empty());
}

TEST_F(RuntimeHandlers, StatusReportsTheProbedRuntimeFeaturesAndNoNetworkWithoutCniConfig) {
  rt::StatusResponse resp;
  ASSERT_TRUE(server_->RuntimeStatus({}, &resp).ok());

  const rt::RuntimeCondition* runtime = Condition(resp, "RuntimeReady");
  ASSERT_NE(runtime, nullptr);
  EXPECT_TRUE(runtime->status());
  const rt::RuntimeCondition* network = Condition(resp, "NetworkReady");
  ASSERT_NE(network, nullptr);
  EXPECT_FALSE(network->status());
  EXPECT_EQ(network->reason(), "NetworkPluginNotReady");
  // What the fake runtime's `features` claims (rro, user namespaces, idmap).
  ASSERT_EQ(resp.runtime_handlers_size(), 1);
  EXPECT_EQ(resp.runtime_handlers(0).name(), "runc");
  EXPECT_TRUE(resp.runtime_handlers(0).features().recursive_read_only_mounts());
  EXPECT_TRUE(resp.runtime_handlers(0).features().user_namespaces());
}

TEST_F(RuntimeHandlers, StatusIsNotReadyNamingTheMissingBinaries) {
  server_.reset();
  config::Config config = TestConfig();
  config.conmon = dir_ + "/no-conmon";
  config.runtimes["kata"] = RuntimeAt(dir_ + "/no-kata", dir_ + "/kata-root");
  server_ = OpenServer(config);

  rt::StatusResponse resp;
  ASSERT_TRUE(server_->RuntimeStatus({}, &resp).ok());
  const rt::RuntimeCondition* runtime = Condition(resp, "RuntimeReady");
  ASSERT_NE(runtime, nullptr);
  EXPECT_FALSE(runtime->status());
  EXPECT_EQ(runtime->reason(), "RuntimeBinaryMissing");
  EXPECT_THAT(runtime->message(), HasSubstr("conmon (" + dir_ + "/no-conmon)"));
  EXPECT_THAT(runtime->message(), HasSubstr("runtime kata (" + dir_ + "/no-kata)"));
}

TEST_F(RuntimeHandlers, RunPodSandboxRefusesABadConfigNamingTheFieldAndMakesNothing) {
  rt::RunPodSandboxRequest req;
  *req.mutable_config() = PodConfig("web");
  req.mutable_config()->mutable_metadata()->clear_name();
  rt::RunPodSandboxResponse resp;

  Status s = server_->RunPodSandbox(req, &resp);

  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("metadata.name"));
  EXPECT_THAT(Entries(config_.root + "/sandboxes"), IsEmpty());
  EXPECT_THAT(Entries(config_.runroot + "/sandboxes"), IsEmpty());
  EXPECT_THAT(RuntimeCalls(), IsEmpty());
  rt::ListPodSandboxResponse list;
  ASSERT_TRUE(server_->ListPodSandbox({}, &list).ok());
  EXPECT_EQ(list.items_size(), 0);
}

TEST_F(RuntimeHandlers, RunPodSandboxWithAnUnknownRuntimeHandlerNamesIt) {
  rt::RunPodSandboxRequest req;
  *req.mutable_config() = PodConfig("web");
  req.set_runtime_handler("no-such-handler");
  rt::RunPodSandboxResponse resp;

  Status s = server_->RunPodSandbox(req, &resp);

  EXPECT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("no-such-handler"));
  EXPECT_THAT(Entries(config_.root + "/sandboxes"), IsEmpty());
  EXPECT_THAT(RuntimeCalls(), IsEmpty());
}

TEST_F(RuntimeHandlers, CreateContainerOnLinuxRefusesAWindowsCredentialSpec) {
  auto pod = AddReadySandbox("web");
  rt::CreateContainerRequest req;
  req.set_pod_sandbox_id(pod->id);
  *req.mutable_sandbox_config() = pod->config;
  req.mutable_config()->mutable_metadata()->set_name("app");
  req.mutable_config()->mutable_image()->set_image("example.test/app:1");
  req.mutable_config()->mutable_windows()->mutable_security_context()->set_credential_spec(
      R"({"CmsPlugins":["ActiveDirectory"]})");
  rt::CreateContainerResponse resp;

  Status s = server_->CreateContainer(req, &resp);

  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("windows.security_context.credential_spec"));
  EXPECT_THAT(Entries(config_.root + "/containers"), IsEmpty());
}

TEST_F(RuntimeHandlers, CreateContainerNeedsAnExistingReadyPod) {
  auto pod = AddReadySandbox("web");
  rt::CreateContainerRequest req;
  req.set_pod_sandbox_id(std::string(64, 'f'));
  req.mutable_config()->mutable_metadata()->set_name("app");
  req.mutable_config()->mutable_image()->set_image("example.test/app:1");
  rt::CreateContainerResponse resp;
  EXPECT_EQ(server_->CreateContainer(req, &resp).code(), Code::kNotFound);

  server_->sandboxes().Write([&] { pod->state = rt::SANDBOX_NOTREADY; });
  req.set_pod_sandbox_id(pod->id);
  Status s = server_->CreateContainer(req, &resp);
  EXPECT_EQ(s.code(), Code::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("is not ready"));
  EXPECT_THAT(Entries(config_.root + "/containers"), IsEmpty());
}

}  // namespace
}  // namespace berth::daemon::testing
