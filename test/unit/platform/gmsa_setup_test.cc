#include "pkg/platform/gmsa_setup.h"

#include <gtest/gtest.h>

#include "pkg/platform/fake_hcs_client.h"
#include "pkg/platform/fake_registry_backend.h"

namespace berth::platform {
namespace {

constexpr std::string_view kSpec = R"({"CmsPlugins":["ActiveDirectory"]})";
constexpr std::string_view kCid = "abc123";

// One "daemon lifetime": store and CCG service over shared fake host state, so a
// second Daemon over the same state behaves like berthd restarted after a crash.
struct Daemon {
  Daemon(std::shared_ptr<FakeRegistryBackend> registry, std::shared_ptr<FakeHcsState> hcs)
      : specs(ForwardingTo(std::move(registry)), SystemRandomSource(), audit),
        ccg(std::make_unique<FakeHcsClient>(hcs), audit),
        gmsa(specs, ccg) {}

  MemoryAuditLogger audit;
  RegistryCredentialSpecStore specs;
  HcsCcgInstances ccg;
  GmsaSetup gmsa;
};

struct GmsaFixture : ::testing::Test {
  std::shared_ptr<FakeRegistryBackend> registry = std::make_shared<FakeRegistryBackend>();
  std::shared_ptr<FakeHcsState> hcs = std::make_shared<FakeHcsState>();
  std::unique_ptr<Daemon> daemon = std::make_unique<Daemon>(registry, hcs);
  GmsaSetup& gmsa() { return daemon->gmsa; }

  int Count(std::string_view op) {
    int n = 0;
    for (const auto& call : hcs->Calls()) n += call.operation == op;
    return n;
  }
};

TEST(SelectCredentialSpecTest, SecurityContextWinsOverLegacyAnnotation) {
  Annotations legacy = {{std::string(kLegacyGmsaSpecAnnotation), "{\"legacy\":1}"}};
  EXPECT_EQ(SelectCredentialSpec("{\"field\":1}", legacy), "{\"field\":1}");
  EXPECT_EQ(SelectCredentialSpec("", legacy), "{\"legacy\":1}");
  EXPECT_EQ(SelectCredentialSpec("", {}), std::nullopt);
}

TEST_F(GmsaFixture, NoSpecCreatesNothing) {
  auto r = gmsa().OnCreate(kCid, "", false);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->annotations.empty());
  EXPECT_TRUE(r->credential_spec_uri.empty());
  EXPECT_TRUE(registry->Values().empty());
}

TEST_F(GmsaFixture, RegistryValueIsRemovedAfterStart) {
  auto r = gmsa().OnCreate(kCid, kSpec, false);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const std::string name = r->annotations.at(std::string(kGmsaValueAnnotation));
  EXPECT_EQ(r->credential_spec_uri, "registry://" + name);
  EXPECT_EQ(registry->Values().at(name), kSpec);
  ASSERT_TRUE(gmsa().OnStarted(kCid, r->annotations).ok());
  EXPECT_TRUE(registry->Values().empty());
}

TEST_F(GmsaFixture, RegistryValueIsRemovedWhenCreateFails) {
  auto r = gmsa().OnCreate(kCid, kSpec, false);
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(gmsa().OnCreateFailed(kCid, r->annotations).ok());
  EXPECT_TRUE(registry->Values().empty());
}

TEST_F(GmsaFixture, RegistryValueIsRemovedOnRemoveAndRemovalIsIdempotent) {
  auto r = gmsa().OnCreate(kCid, kSpec, false);
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(gmsa().OnRemoved(kCid, r->annotations).ok());
  EXPECT_TRUE(registry->Values().empty());
  // Started (value removed), then stopped and removed: every later step still succeeds.
  auto r2 = gmsa().OnCreate(kCid, kSpec, false);
  ASSERT_TRUE(r2.ok());
  ASSERT_TRUE(gmsa().OnStarted(kCid, r2->annotations).ok());
  EXPECT_TRUE(gmsa().OnStopped(kCid, r2->annotations).ok());
  EXPECT_TRUE(gmsa().OnRemoved(kCid, r2->annotations).ok());
  EXPECT_TRUE(gmsa().OnRemoved(kCid, r2->annotations).ok());
}

TEST_F(GmsaFixture, InvalidSpecIsInvalidArgumentAndRecordsNothing) {
  auto r = gmsa().OnCreate(kCid, "{nope", false);
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  auto c = gmsa().OnCreate(kCid, "{nope", true);
  EXPECT_EQ(c.status().code(), Code::kInvalidArgument);
  EXPECT_TRUE(registry->Values().empty());
  EXPECT_TRUE(hcs->Instances().empty());
}

TEST_F(GmsaFixture, CcgInstanceIsRecordedAndReleasedOnStop) {
  auto r = gmsa().OnCreate(kCid, kSpec, true);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->annotations.at(std::string(kGmsaCcgAnnotation)), kCid);
  EXPECT_FALSE(r->annotations.contains(std::string(kGmsaValueAnnotation)));
  ASSERT_TRUE(r->ccg.has_value());
  EXPECT_TRUE(registry->Values().empty());  // CCG path writes no registry value
  ASSERT_TRUE(gmsa().OnStarted(kCid, r->annotations).ok());
  EXPECT_EQ(hcs->Instances().size(), 1u);  // still needed while running
  ASSERT_TRUE(gmsa().OnStopped(kCid, r->annotations).ok());
  EXPECT_TRUE(hcs->Instances().empty());
  ASSERT_TRUE(gmsa().OnRemoved(kCid, r->annotations).ok());
  EXPECT_EQ(Count("AddInstance"), 1);
  EXPECT_EQ(Count("RemoveInstance"), 1);
}

TEST_F(GmsaFixture, HypervisorIsolatedCcgUsesHvSocket) {
  auto r = gmsa().OnCreate(kCid, kSpec, true, /*hypervisor_isolated=*/true);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(hcs->Instances().at(std::string(kCid)), "HvSocket");
}

TEST_F(GmsaFixture, CcgInstanceIsReleasedWhenCreateFails) {
  auto r = gmsa().OnCreate(kCid, kSpec, true);
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(gmsa().OnCreateFailed(kCid, r->annotations).ok());
  EXPECT_TRUE(hcs->Instances().empty());
  EXPECT_EQ(Count("AddInstance"), Count("RemoveInstance"));
}

TEST_F(GmsaFixture, AfterCrashRestoreReleasesTheInstanceOfAStoppedContainer) {
  auto r = gmsa().OnCreate(kCid, kSpec, true);
  ASSERT_TRUE(r.ok());
  const Annotations persisted = r->annotations;  // what config.json holds
  daemon.reset();                                // crash: no cleanup ran
  ASSERT_EQ(hcs->Instances().size(), 1u);

  daemon = std::make_unique<Daemon>(registry, hcs);
  ASSERT_TRUE(gmsa().OnRestore(kCid, persisted, RestoredState::kExited).ok());
  EXPECT_TRUE(hcs->Instances().empty());
  EXPECT_EQ(Count("AddInstance"), 1);
  EXPECT_EQ(Count("RemoveInstance"), 1);
  // A later removal of the container is still fine.
  EXPECT_TRUE(gmsa().OnRemoved(kCid, persisted).ok());
  EXPECT_EQ(Count("RemoveInstance"), 1);
}

TEST_F(GmsaFixture, AfterCrashRestoreKeepsTheInstanceOfARunningContainerUntilStop) {
  auto r = gmsa().OnCreate(kCid, kSpec, true);
  ASSERT_TRUE(r.ok());
  const Annotations persisted = r->annotations;
  daemon = std::make_unique<Daemon>(registry, hcs);
  ASSERT_TRUE(gmsa().OnRestore(kCid, persisted, RestoredState::kRunning).ok());
  EXPECT_EQ(hcs->Instances().size(), 1u);
  ASSERT_TRUE(gmsa().OnStopped(kCid, persisted).ok());
  EXPECT_TRUE(hcs->Instances().empty());
  EXPECT_EQ(Count("AddInstance"), Count("RemoveInstance"));
}

TEST_F(GmsaFixture, AfterCrashSweepAndRestoreRemoveTheLeftoverValue) {
  auto r = gmsa().OnCreate(kCid, kSpec, false);
  ASSERT_TRUE(r.ok());
  const Annotations persisted = r->annotations;
  daemon = std::make_unique<Daemon>(registry, hcs);
  auto swept = daemon->specs.RemoveStale({});
  ASSERT_TRUE(swept.ok());
  EXPECT_EQ(*swept, 1u);
  EXPECT_TRUE(registry->Values().empty());
  EXPECT_TRUE(gmsa().OnRestore(kCid, persisted, RestoredState::kExited).ok());  // gone: fine
}

TEST_F(GmsaFixture, AfterRestartACreatedContainerKeepsItsValueUntilStart) {
  auto r = gmsa().OnCreate(kCid, kSpec, false);
  ASSERT_TRUE(r.ok());
  const Annotations persisted = r->annotations;
  const std::string name = persisted.at(std::string(kGmsaValueAnnotation));
  daemon = std::make_unique<Daemon>(registry, hcs);
  ASSERT_TRUE(gmsa().OnRestore(kCid, persisted, RestoredState::kCreated).ok());
  auto swept = daemon->specs.RemoveStale({name});
  ASSERT_TRUE(swept.ok());
  EXPECT_EQ(*swept, 0u);
  EXPECT_TRUE(registry->Values().contains(name));
  ASSERT_TRUE(gmsa().OnStarted(kCid, persisted).ok());
  EXPECT_TRUE(registry->Values().empty());
}

TEST_F(GmsaFixture, AfterRestartACreatedContainerKeepsItsInstanceUntilRemoval) {
  auto r = gmsa().OnCreate(kCid, kSpec, true);
  ASSERT_TRUE(r.ok());
  const Annotations persisted = r->annotations;
  daemon = std::make_unique<Daemon>(registry, hcs);
  ASSERT_TRUE(gmsa().OnRestore(kCid, persisted, RestoredState::kCreated).ok());
  EXPECT_EQ(hcs->Instances().size(), 1u);
  ASSERT_TRUE(gmsa().OnRemoved(kCid, persisted).ok());
  EXPECT_TRUE(hcs->Instances().empty());
  EXPECT_EQ(Count("AddInstance"), Count("RemoveInstance"));
}

TEST_F(GmsaFixture, RestoreRefusesAnInstanceRecordedForAnotherContainer) {
  ASSERT_TRUE(gmsa().OnCreate("victim", kSpec, true).ok());
  Annotations tampered = {{std::string(kGmsaCcgAnnotation), "victim"}};
  Status s = gmsa().OnRestore(kCid, tampered, RestoredState::kExited);
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_EQ(hcs->Instances().size(), 1u);
}

TEST_F(GmsaFixture, TamperedValueAnnotationIsRefused) {
  registry->Seed("DockerSpec", "{}");
  Annotations tampered = {{std::string(kGmsaValueAnnotation), "DockerSpec"}};
  EXPECT_EQ(gmsa().OnRemoved(kCid, tampered).code(), Code::kInvalidArgument);
  EXPECT_TRUE(registry->Values().contains("DockerSpec"));
}

TEST_F(GmsaFixture, CleanupReportsFailureButStillRunsBothSteps) {
  auto r = gmsa().OnCreate(kCid, kSpec, false);
  ASSERT_TRUE(r.ok());
  Annotations both = r->annotations;
  ASSERT_TRUE(daemon->ccg.Add(kCid, kSpec, CcgTransport::kLrpc).ok());
  both[std::string(kGmsaCcgAnnotation)] = std::string(kCid);
  registry->FailNextDelete(Internal("registry: Access is denied."));
  Status s = gmsa().OnRemoved(kCid, both);
  EXPECT_EQ(s.code(), Code::kInternal);
  EXPECT_TRUE(hcs->Instances().empty());  // CCG released despite the registry failure
}

}  // namespace
}  // namespace berth::platform
