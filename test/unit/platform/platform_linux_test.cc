// The Linux build's platform services: gMSA is refused, cleanups are no-ops.
#include <gtest/gtest.h>

#include "pkg/platform/gmsa_setup.h"
#include "pkg/platform/listen_endpoint.h"
#include "pkg/platform/platform.h"

namespace berth::platform {
namespace {

TEST(PlatformLinuxTest, GmsaRequestsAreFailedPrecondition) {
  MemoryAuditLogger audit;
  auto services = MakePlatformServices(audit);
  ASSERT_TRUE(services.ok());
  EXPECT_FALSE(GmsaSupported());
  EXPECT_EQ(HostPlatform(), TargetPlatform::kLinux);

  auto value = services->credential_specs->Create("abc", "{}");
  ASSERT_FALSE(value.ok());
  EXPECT_EQ(value.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(value.status().message().find(kGmsaUnsupportedMessage), std::string::npos);

  auto inst = services->ccg_instances->Add("abc", "{}", CcgTransport::kLrpc);
  EXPECT_EQ(inst.status().code(), Code::kFailedPrecondition);

  GmsaSetup gmsa(*services->credential_specs, *services->ccg_instances);
  EXPECT_EQ(gmsa.OnCreate("abc", "{}", false).status().code(), Code::kFailedPrecondition);
  EXPECT_TRUE(gmsa.OnCreate("abc", "", false).ok());  // no gMSA asked: nothing to refuse
  EXPECT_TRUE(audit.Lines().empty());
}

TEST(PlatformLinuxTest, CleanupsSucceedBecauseNothingExists) {
  MemoryAuditLogger audit;
  auto services = MakePlatformServices(audit);
  ASSERT_TRUE(services.ok());
  EXPECT_EQ(*services->credential_specs->RemoveStale({}), 0u);
  EXPECT_TRUE(services->credential_specs->Remove("abc", "anything").ok());
  EXPECT_TRUE(services->ccg_instances->Release("abc").ok());
  EXPECT_FALSE(services->ccg_instances->Find("abc")->has_value());
}

TEST(PlatformLinuxTest, SystemRandomFillsLargeBuffers) {
  auto random = SystemRandomSource();
  std::vector<std::uint8_t> a(4096), b(4096);
  ASSERT_TRUE(random->Fill(a).ok());
  ASSERT_TRUE(random->Fill(b).ok());
  EXPECT_NE(a, b);
}

}  // namespace
}  // namespace berth::platform
