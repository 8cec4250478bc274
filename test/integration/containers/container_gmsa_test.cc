// gMSA on a Linux node (real berthd, runc, conmon, overlayfs): a container
// that asks for a Windows credential spec, through the Windows security
// context or the legacy annotation, is refused with InvalidArgument naming
// the container and the field, and nothing of it is left behind; a pod asking
// for one (RunPodSandbox's windows.security_context) likewise.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "test/integration/containers/container_env.h"

namespace berth::testing {
namespace {

namespace rt = runtime::v1;
namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kSpecMarker = "contoso-gmsa-account-7731";
const std::string kSpec =
    std::string(R"({"DomainJoinConfig":{"GmsaAccountName":")") + kSpecMarker + R"("}})";

class ContainerGmsaTest : public ContainerTest {
 protected:
  void ExpectRefused(const std::string& pod, const rt::ContainerConfig& config,
                     const std::string& field) {
    std::string id;
    grpc::Status s = Create(pod, config, &id);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
    EXPECT_THAT(s.error_message(), HasSubstr("container \"" + config.metadata().name() + "\""));
    EXPECT_THAT(s.error_message(), HasSubstr(field));
    EXPECT_THAT(s.error_message(), Not(HasSubstr(kSpecMarker)));
    EXPECT_TRUE(id.empty());
  }
};

TEST_F(ContainerGmsaTest, CredentialSpecIsInvalidArgumentAndLeavesNothing) {
  const std::string pod = RunPod("gmsa");

  rt::ContainerConfig legacy = Config("legacy", {"true"});
  (*legacy.mutable_annotations())["container.alpha.windows.kubernetes.io/gmsa-credential-spec"] =
      kSpec;
  ExpectRefused(pod, legacy,
                "annotation container.alpha.windows.kubernetes.io/gmsa-credential-spec");

  rt::ContainerConfig windows = Config("windows", {"true"});
  windows.mutable_windows()->mutable_security_context()->set_credential_spec(kSpec);
  ExpectRefused(pod, windows, "windows.security_context.credential_spec");

  // What the platform records may not be preset by a client either.
  rt::ContainerConfig preset = Config("preset", {"true"});
  (*preset.mutable_annotations())["io.berth.gmsa.ccg-instance"] = "x";
  ExpectRefused(pod, preset, "io.berth.gmsa.ccg-instance");

  // Nothing was left: no container, no directory, no mount, and the names are free.
  rt::ListContainersResponse all;
  ASSERT_TRUE(d_->runtime().ListContainers(Ctx().get(), {}, &all).ok());
  EXPECT_EQ(all.containers_size(), 0);
  std::error_code ec;
  EXPECT_TRUE(fs::is_empty(d_->dir().Sub("root/containers"), ec));
  EXPECT_THAT(RunCommand({"/usr/bin/findmnt", "-rn", "-o", "TARGET"}).output,
              Not(HasSubstr(d_->dir().Sub("root/containers/"))));
  for (const char* name : {"legacy", "windows", "preset"}) {
    std::string id;
    grpc::Status s = Create(pod, Config(name, {"true"}), &id);
    EXPECT_TRUE(s.ok()) << name << ": " << s.error_message();
  }
}

TEST_F(ContainerGmsaTest, PodCredentialSpecIsInvalidArgumentAndLeavesNoPod) {
  rt::PodSandboxConfig config;
  const std::string plain = RunPod("plain", &config);  // the refused pod starts from its config
  config.mutable_metadata()->set_name("gmsa-pod");
  config.mutable_metadata()->set_uid("uid-gmsa-pod");
  config.mutable_windows()->mutable_security_context()->set_credential_spec(kSpec);
  rt::RunPodSandboxRequest req;
  *req.mutable_config() = config;
  rt::RunPodSandboxResponse resp;
  grpc::Status s = d_->runtime().RunPodSandbox(Ctx(std::chrono::seconds(120)).get(), req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_THAT(s.error_message(),
              HasSubstr("pod sandbox \"gmsa-pod\": windows.security_context.credential_spec"));
  EXPECT_THAT(s.error_message(), Not(HasSubstr(kSpecMarker)));
  EXPECT_TRUE(resp.pod_sandbox_id().empty());

  // Nothing was left: only the first pod exists, and the refused pod's name is free.
  rt::ListPodSandboxResponse pods;
  ASSERT_TRUE(d_->runtime().ListPodSandbox(Ctx().get(), {}, &pods).ok());
  ASSERT_EQ(pods.items_size(), 1);
  EXPECT_EQ(pods.items(0).id(), plain);
  config.clear_windows();
  *req.mutable_config() = config;
  s = d_->runtime().RunPodSandbox(Ctx(std::chrono::seconds(120)).get(), req, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
}

}  // namespace
}  // namespace berth::testing
