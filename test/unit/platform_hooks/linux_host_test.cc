// The platform hooks on this Linux host: a gMSA credential spec is refused up
// front (by the container hooks and by RunPodSandbox's validation,
// daemon/sandbox_validate.cc), every other hook is a no-op. Kept apart from
// platform_hooks_test.cc, which the Windows build (test/windows) also runs:
// there ForThisHost() is the Windows platform, which accepts the spec, and
// ValidatePodSandboxConfig reaches pkg/oci's cgroup paths, which that build
// does not have.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "daemon/platform_hooks.h"
#include "daemon/sandbox_validate.h"
#include "test/unit/platform_hooks/gmsa_requests.h"

namespace berth::daemon {
namespace {

namespace rt = runtime::v1;
using namespace gmsa_requests;
using ::testing::HasSubstr;
using ::testing::Not;

class LinuxPlatform : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<std::unique_ptr<ContainerPlatformHooks>> h = ContainerPlatformHooks::ForThisHost();
    ASSERT_TRUE(h.ok()) << h.status().ToString();
    hooks_ = std::move(*h);
  }
  std::unique_ptr<ContainerPlatformHooks> hooks_;
};

TEST_F(LinuxPlatform, WindowsSecurityContextCredentialSpecIsInvalidArgument) {
  Status s = hooks_->Validate("web", GmsaConfig());
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("container \"web\""));
  EXPECT_THAT(s.message(), HasSubstr("windows.security_context.credential_spec"));
  EXPECT_THAT(s.message(), HasSubstr("only supported on Windows"));
  EXPECT_THAT(s.message(), Not(HasSubstr(kSecretMarker)));
  // OnCreate refuses it too, should a caller skip Validate.
  EXPECT_EQ(hooks_->OnCreate(kId, "web", GmsaConfig()).status().code(), Code::kInvalidArgument);
}

TEST_F(LinuxPlatform, LegacyGmsaAnnotationIsInvalidArgument) {
  Status s = hooks_->Validate("web", GmsaConfig(/*legacy_annotation=*/true));
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("container \"web\""));
  EXPECT_THAT(s.message(), HasSubstr(std::string(platform::kLegacyGmsaSpecAnnotation)));
  EXPECT_THAT(s.message(), Not(HasSubstr(kSecretMarker)));
}

TEST_F(LinuxPlatform, PresetPlatformAnnotationIsInvalidArgument) {
  rt::ContainerConfig config;
  (*config.mutable_annotations())[std::string(platform::kGmsaCcgAnnotation)] = kId;
  Status s = hooks_->Validate("web", config);
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr(std::string(platform::kGmsaCcgAnnotation)));
}

TEST_F(LinuxPlatform, ContainerWithoutGmsaGetsNothingAndEveryHookIsANoOp) {
  rt::ContainerConfig config;
  config.mutable_metadata()->set_name("web");
  (*config.mutable_annotations())[std::string(platform::kLegacyGmsaSpecAnnotation)] = "";
  EXPECT_TRUE(hooks_->Validate("web", config).ok());
  Result<PlatformCreateResult> r = hooks_->OnCreate(kId, "web", config);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->annotations.empty());
  nlohmann::json spec = nlohmann::json::object();
  ApplyPlatformSetup(*r, &spec);
  EXPECT_EQ(spec, nlohmann::json::object());
  hooks_->OnStarted(kId, {});
  EXPECT_TRUE(hooks_->OnStopped(kId, {}).ok());
  EXPECT_TRUE(hooks_->OnRemoved(kId, {}).ok());
  EXPECT_TRUE(hooks_->OnCreateFailed(kId, {}).ok());
  EXPECT_TRUE(hooks_->OnRestore(kId, {}, rt::CONTAINER_EXITED).ok());
  EXPECT_TRUE(hooks_->ReleaseLeftovers(kId, nullptr).ok());
}

TEST(PodPlatformConfig, RunPodSandboxValidationRefusesItOnThisLinuxNode) {
  Status s = ValidatePodSandboxConfig(GmsaPod(), "cgroupfs");
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("pod sandbox \"web-pod\": "
                                     "windows.security_context.credential_spec"));
  rt::PodSandboxConfig plain = GmsaPod();
  plain.clear_windows();
  EXPECT_TRUE(ValidatePodSandboxConfig(plain, "cgroupfs").ok()) << "control: the rest is valid";
}

}  // namespace
}  // namespace berth::daemon
