// The container lifecycle's platform seam (daemon/platform_hooks.h) over the
// Windows gMSA logic of pkg/platform, with its fake registry and HCS backends
// and a fake runtime. Server's handlers need a whole node (images, pods,
// conmon, runc) to run, so `Node` below calls the seam in the handlers' order
// (container_create.cc steps 4b-8, container_start.cc, container_stop.cc,
// container_remove.cc, restore.cc) and keeps config.json's annotations the way
// container_record.cc writes and reads them.
#include "daemon/platform_hooks.h"

#include <optional>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "daemon/container_record.h"
#include "pkg/base/undo_stack.h"
#include "pkg/platform/fake_hcs_client.h"
#include "pkg/platform/fake_registry_backend.h"
#include "test/unit/platform_hooks/gmsa_requests.h"

namespace berth::daemon {
namespace {

namespace rt = runtime::v1;
using namespace gmsa_requests;
using ::testing::HasSubstr;
using ::testing::Not;

// The runtime: records the spec each create was given; can be told to fail a create.
struct FakeRuntime {
  Status Create(const std::string& id, const nlohmann::json& spec) {
    if (fail_next_create) {
      fail_next_create = false;
      return Internal("runtime create of " + id + " failed (injected)");
    }
    specs[id] = spec;
    return OkStatus();
  }
  bool fail_next_create = false;
  std::map<std::string, nlohmann::json> specs;
};

// What stays on the "host" across daemon lifetimes: the registry, HCS, the
// runtime, the audit log and each container's config.json annotations.
struct Host {
  std::shared_ptr<platform::FakeRegistryBackend> registry =
      std::make_shared<platform::FakeRegistryBackend>();
  std::shared_ptr<platform::FakeHcsState> hcs = std::make_shared<platform::FakeHcsState>();
  std::shared_ptr<platform::MemoryAuditLogger> audit =
      std::make_shared<platform::MemoryAuditLogger>();
  FakeRuntime runtime;
  std::map<std::string, std::map<std::string, std::string>> config_json_annotations;

  int HcsCalls(std::string_view op) const {
    int n = 0;
    for (const auto& call : hcs->Calls()) n += call.operation == op;
    return n;
  }
};

// One berthd lifetime over `host`: a crash is this object going away.
struct Node {
  Node(Host& host, bool use_ccg) : host(host) {
    platform::PlatformServices services;
    services.credential_specs = std::make_unique<platform::RegistryCredentialSpecStore>(
        platform::ForwardingTo(host.registry), platform::SystemRandomSource(), *host.audit);
    services.ccg_instances = std::make_unique<platform::HcsCcgInstances>(
        std::make_unique<platform::FakeHcsClient>(host.hcs), *host.audit);
    hooks =
        std::make_unique<ContainerPlatformHooks>(host.audit, std::move(services), true, use_ccg);
  }

  enum class CrashAt { kNowhere, kAfterPlatformSetup, kAfterConfigJson };

  // CreateContainer from step 4b on; the container, or the error it returned.
  Result<std::shared_ptr<Container>> Create(const rt::ContainerConfig& config,
                                            CrashAt crash = CrashAt::kNowhere) {
    BERTH_RETURN_IF_ERROR(hooks->Validate(config.metadata().name(), config));
    auto owned = std::make_shared<Container>();
    Container& c = *owned;
    c.id = kId;
    c.name = "k8s_" + config.metadata().name();
    c.sandbox_id = std::string(64, 'p');
    c.config = config;
    UndoStack undo("container " + c.id);
    // 4b.
    BERTH_ASSIGN_OR_RETURN(PlatformCreateResult platform,
                           hooks->OnCreate(c.id, config.metadata().name(), config));
    c.platform_annotations = platform.annotations;
    undo.Push("undo platform setup",
              [&] { return hooks->OnCreateFailed(c.id, c.platform_annotations); });
    if (crash == CrashAt::kAfterPlatformSetup) {
      undo.Commit();  // a crash runs no undo
      return owned;
    }
    // 5. config.json.
    nlohmann::json spec = {{"annotations", ContainerAnnotations(c)}};
    ApplyPlatformSetup(platform, &spec);
    host.config_json_annotations[c.id] =
        spec["annotations"].get<std::map<std::string, std::string>>();
    if (crash == CrashAt::kAfterConfigJson) {
      undo.Commit();
      return owned;
    }
    // 7. The runtime.
    BERTH_RETURN_IF_ERROR(host.runtime.Create(c.id, spec));
    undo.Commit();
    return owned;
  }
  void Start(const Container& c) { hooks->OnStarted(c.id, c.platform_annotations); }
  Status Stop(const Container& c) { return hooks->OnStopped(c.id, c.platform_annotations); }
  Status Remove(const Container& c) {
    BERTH_RETURN_IF_ERROR(hooks->OnRemoved(c.id, c.platform_annotations));
    host.config_json_annotations.erase(c.id);
    return OkStatus();
  }
  // Restore as restore.cc runs it: the container is undone (`loaded_as`
  // empty: its creation never finished) or loaded from its annotations in
  // the state restore settled on, then the start-up sweep.
  void Restart(std::optional<rt::ContainerState> loaded_as) {
    auto on_disk = host.config_json_annotations.find(kId);
    const auto* annotations =
        on_disk == host.config_json_annotations.end() ? nullptr : &on_disk->second;
    if (!loaded_as) {
      EXPECT_TRUE(hooks->ReleaseLeftovers(kId, annotations).ok());
    } else {
      ASSERT_NE(annotations, nullptr);
      Result<std::shared_ptr<Container>> loaded = ContainerFromAnnotations(*annotations);
      ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
      EXPECT_TRUE(hooks->OnRestore(kId, (*loaded)->platform_annotations, *loaded_as).ok());
    }
    hooks->SweepStale();
  }

  Host& host;
  std::unique_ptr<ContainerPlatformHooks> hooks;
};

// k8s-cred-spec- and 80 lowercase hex digits (written out here, not taken from pkg/platform).
bool IsCredentialSpecValueName(const std::string& name) {
  const std::string prefix = "k8s-cred-spec-";
  if (name.size() != prefix.size() + 80 || !name.starts_with(prefix)) return false;
  return name.find_first_not_of("0123456789abcdef", prefix.size()) == std::string::npos;
}

// One audit line per host mutation, in order, each naming its object and the
// container, never the spec's content.
void ExpectAudited(const Host& host, const std::vector<std::string>& ops,
                   const std::string& value) {
  const std::vector<std::string> lines = host.audit->Lines();
  ASSERT_EQ(lines.size(), ops.size());
  for (std::size_t i = 0; i < lines.size(); ++i) {
    EXPECT_THAT(lines[i], HasSubstr("op=\"" + ops[i] + "\""));
    EXPECT_THAT(lines[i], HasSubstr("value=\"" + value + "\""));
    EXPECT_THAT(lines[i], HasSubstr("container=\"" + kId + "\""));
    EXPECT_THAT(lines[i], HasSubstr("outcome=\"ok\""));
    EXPECT_THAT(lines[i], Not(HasSubstr(kSecretMarker)));
  }
}

class RegistryValueLifecycle : public ::testing::Test {
 protected:
  // The one value there is, checked to be a managed name holding the spec.
  std::string OnlyValue() {
    auto values = host_.registry->Values();
    EXPECT_EQ(values.size(), 1u);
    if (values.size() != 1) return "";
    EXPECT_TRUE(IsCredentialSpecValueName(values.begin()->first)) << values.begin()->first;
    EXPECT_EQ(values.begin()->second, kSpec);
    return values.begin()->first;
  }

  Host host_;
  std::unique_ptr<Node> node_ = std::make_unique<Node>(host_, false);
};

TEST_F(RegistryValueLifecycle, CreateLeavesOneValueAndItsRegistryUriInTheSpecAndConfigJson) {
  for (bool legacy : {false, true}) {
    SCOPED_TRACE(legacy ? "legacy annotation" : "windows security context");
    host_ = Host();
    node_ = std::make_unique<Node>(host_, false);
    Result<std::shared_ptr<Container>> c = node_->Create(GmsaConfig(legacy));
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    const std::string name = OnlyValue();
    const nlohmann::json& spec = host_.runtime.specs.at(kId);
    EXPECT_EQ(spec["windows"]["credentialSpec"], "registry://" + name);
    EXPECT_FALSE(spec["windows"].contains("ContainerCredentialGuard"));
    // Recorded in config.json before the runtime ran, and read back from it.
    EXPECT_EQ(spec["annotations"][std::string(platform::kGmsaValueAnnotation)], name);
    auto loaded = ContainerFromAnnotations(host_.config_json_annotations.at(kId));
    ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
    EXPECT_EQ((*loaded)->platform_annotations,
              (PlatformAnnotations{{std::string(platform::kGmsaValueAnnotation), name}}));
  }
}

TEST_F(RegistryValueLifecycle, StartRemovesTheValue) {
  Result<std::shared_ptr<Container>> c = node_->Create(GmsaConfig());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  OnlyValue();
  node_->Start(**c);
  EXPECT_TRUE(host_.registry->Values().empty());
  // Stop and remove find it gone: success, nothing else touched.
  EXPECT_TRUE(node_->Stop(**c).ok());
  EXPECT_TRUE(node_->Remove(**c).ok());
  EXPECT_TRUE(host_.registry->Values().empty());
}

TEST_F(RegistryValueLifecycle, FailedRuntimeCreateRemovesTheValue) {
  host_.runtime.fail_next_create = true;
  Result<std::shared_ptr<Container>> c = node_->Create(GmsaConfig());
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), HasSubstr("injected"));
  EXPECT_TRUE(host_.registry->Values().empty());
  EXPECT_EQ(host_.registry->set_calls(), 1);
}

TEST_F(RegistryValueLifecycle, RemoveOfACreatedContainerRemovesTheValue) {
  Result<std::shared_ptr<Container>> c = node_->Create(GmsaConfig());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  OnlyValue();
  EXPECT_TRUE(node_->Remove(**c).ok());
  EXPECT_TRUE(host_.registry->Values().empty());
}

TEST_F(RegistryValueLifecycle, CrashAfterTheValueWasWrittenThenRestartRemovesIt) {
  for (auto crash : {Node::CrashAt::kAfterPlatformSetup, Node::CrashAt::kAfterConfigJson}) {
    SCOPED_TRACE(crash == Node::CrashAt::kAfterConfigJson ? "after config.json"
                                                          : "before config.json");
    host_ = Host();
    node_ = std::make_unique<Node>(host_, false);
    ASSERT_TRUE(node_->Create(GmsaConfig(), crash).ok());
    OnlyValue();
    node_ = std::make_unique<Node>(host_, false);  // the crash, then berthd again
    node_->Restart(/*creation undone*/ std::nullopt);
    EXPECT_TRUE(host_.registry->Values().empty());
  }
}

TEST_F(RegistryValueLifecycle, RestartKeepsTheValueOfACreatedContainerForItsStart) {
  Result<std::shared_ptr<Container>> c = node_->Create(GmsaConfig());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  const std::string name = OnlyValue();
  // A managed value no container records: a crash's leftover, which the sweep removes.
  host_.registry->Seed("k8s-cred-spec-" + std::string(80, 'e'), "{}");
  node_ = std::make_unique<Node>(host_, false);
  node_->Restart(rt::CONTAINER_CREATED);
  EXPECT_EQ(OnlyValue(), name);
  node_->Start(**c);  // the runtime read it; now it goes
  EXPECT_TRUE(host_.registry->Values().empty());
}

TEST_F(RegistryValueLifecycle, RestartRemovesTheValueOfAStartedContainer) {
  // A crash between the runtime's start and OnStarted left the value.
  for (rt::ContainerState state : {rt::CONTAINER_RUNNING, rt::CONTAINER_EXITED}) {
    SCOPED_TRACE(rt::ContainerState_Name(state));
    host_ = Host();
    node_ = std::make_unique<Node>(host_, false);
    ASSERT_TRUE(node_->Create(GmsaConfig()).ok());
    OnlyValue();
    node_ = std::make_unique<Node>(host_, false);
    node_->Restart(state);
    EXPECT_TRUE(host_.registry->Values().empty());
  }
}

TEST_F(RegistryValueLifecycle, StartUpSweepLeavesOtherProgramsValues) {
  host_.registry->Seed("docker-cred-spec", "{}");
  node_->hooks->SweepStale();
  EXPECT_EQ(host_.registry->Values().size(), 1u);
}

TEST_F(RegistryValueLifecycle, AuditLogRecordsEachMutationWithoutTheSpec) {
  Result<std::shared_ptr<Container>> c = node_->Create(GmsaConfig());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  const std::string name = OnlyValue();
  node_->Start(**c);
  ExpectAudited(host_, {"create-value", "delete-value"}, name);
}

TEST_F(RegistryValueLifecycle, BadSpecIsInvalidArgumentNamingTheContainerNotTheSpec) {
  rt::ContainerConfig config = GmsaConfig();
  config.mutable_windows()->mutable_security_context()->set_credential_spec(
      "[\"" + std::string(kSecretMarker) + "\"]");
  Result<std::shared_ptr<Container>> c = node_->Create(config);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Code::kInvalidArgument);
  EXPECT_THAT(c.status().message(), HasSubstr("\"web\""));
  EXPECT_THAT(c.status().message(), Not(HasSubstr(kSecretMarker)));
  EXPECT_TRUE(host_.registry->Values().empty());
}

// CCG: each path adds the instance once and releases it once.
class CcgLifecycle : public ::testing::Test {
 protected:
  void ExpectAddedAndReleasedOnce() {
    EXPECT_EQ(host_.HcsCalls("AddInstance"), 1);
    EXPECT_EQ(host_.HcsCalls("RemoveInstance"), 1);
    EXPECT_TRUE(host_.hcs->Instances().empty());
    EXPECT_TRUE(host_.registry->Values().empty());  // CCG uses no registry value
  }

  Host host_;
  std::unique_ptr<Node> node_ = std::make_unique<Node>(host_, true);
};

TEST_F(CcgLifecycle, CreateHandsTheInstanceToTheSpecAndRecordsIt) {
  Result<std::shared_ptr<Container>> c = node_->Create(GmsaConfig());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(host_.hcs->Instances().count(kId), 1u);
  const nlohmann::json& spec = host_.runtime.specs.at(kId);
  EXPECT_TRUE(spec["windows"]["ContainerCredentialGuard"].is_object()) << spec.dump();
  EXPECT_FALSE(spec["windows"].contains("credentialSpec"));
  EXPECT_EQ(spec["annotations"][std::string(platform::kGmsaCcgAnnotation)], kId);
}

TEST_F(CcgLifecycle, StartStopRemove) {
  Result<std::shared_ptr<Container>> c = node_->Create(GmsaConfig());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  node_->Start(**c);
  EXPECT_EQ(host_.hcs->Instances().size(), 1u);  // a running container keeps it
  EXPECT_TRUE(node_->Stop(**c).ok());
  EXPECT_TRUE(node_->Remove(**c).ok());
  ExpectAddedAndReleasedOnce();
}

TEST_F(CcgLifecycle, FailedRuntimeCreate) {
  host_.runtime.fail_next_create = true;
  ASSERT_FALSE(node_->Create(GmsaConfig()).ok());
  ExpectAddedAndReleasedOnce();
}

TEST_F(CcgLifecycle, RemoveWithoutStart) {
  Result<std::shared_ptr<Container>> c = node_->Create(GmsaConfig());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_TRUE(node_->Remove(**c).ok());
  ExpectAddedAndReleasedOnce();
}

TEST_F(CcgLifecycle, CrashBeforeConfigJsonThenRestart) {
  // Nothing on disk names the instance: restore releases it by container ID.
  ASSERT_TRUE(node_->Create(GmsaConfig(), Node::CrashAt::kAfterPlatformSetup).ok());
  node_ = std::make_unique<Node>(host_, true);
  node_->Restart(/*creation undone*/ std::nullopt);
  ExpectAddedAndReleasedOnce();
}

TEST_F(CcgLifecycle, CrashAfterCreateThenRestartOfAnExitedContainer) {
  Result<std::shared_ptr<Container>> c = node_->Create(GmsaConfig());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  node_ = std::make_unique<Node>(host_, true);
  node_->Restart(rt::CONTAINER_EXITED);
  ExpectAddedAndReleasedOnce();
  // The later removal finds nothing more to release.
  EXPECT_TRUE(node_->Remove(**c).ok());
  EXPECT_EQ(host_.HcsCalls("RemoveInstance"), 1);
}

TEST_F(CcgLifecycle, RestartKeepsARunningContainersInstance) {
  Result<std::shared_ptr<Container>> c = node_->Create(GmsaConfig());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  node_->Start(**c);
  node_ = std::make_unique<Node>(host_, true);
  node_->Restart(rt::CONTAINER_RUNNING);
  EXPECT_EQ(host_.hcs->Instances().size(), 1u);
  EXPECT_EQ(host_.HcsCalls("RemoveInstance"), 0);
}

TEST_F(CcgLifecycle, RestartKeepsACreatedContainersInstanceUntilRemoval) {
  Result<std::shared_ptr<Container>> c = node_->Create(GmsaConfig());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  node_ = std::make_unique<Node>(host_, true);
  node_->Restart(rt::CONTAINER_CREATED);
  EXPECT_EQ(host_.hcs->Instances().size(), 1u);
  EXPECT_TRUE(node_->Remove(**c).ok());
  ExpectAddedAndReleasedOnce();
}

TEST_F(CcgLifecycle, AuditLogRecordsAddAndReleaseWithoutTheSpec) {
  Result<std::shared_ptr<Container>> c = node_->Create(GmsaConfig());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_TRUE(node_->Remove(**c).ok());
  // A CCG instance is named by its container's ID.
  ExpectAudited(host_, {"ccg-add", "ccg-release"}, kId);
}

TEST(PodPlatformConfig, CredentialSpecIsInvalidArgumentNamingThePodWithoutGmsa) {
  Status s = ValidatePodPlatformConfig(GmsaPod(), /*gmsa_supported=*/false);
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("pod sandbox \"web-pod\""));
  EXPECT_THAT(s.message(), HasSubstr("windows.security_context.credential_spec"));
  EXPECT_THAT(s.message(), HasSubstr("only supported on Windows"));
  EXPECT_THAT(s.message(), Not(HasSubstr(kSecretMarker)));
  EXPECT_TRUE(ValidatePodPlatformConfig(GmsaPod(), /*gmsa_supported=*/true).ok());
  rt::PodSandboxConfig plain = GmsaPod();
  plain.mutable_windows()->mutable_security_context()->clear_credential_spec();
  EXPECT_TRUE(ValidatePodPlatformConfig(plain, /*gmsa_supported=*/false).ok());
}

TEST(PlatformAnnotationsOf, PicksOnlyThePlatformKeys) {
  std::map<std::string, std::string> all = {
      {"io.berth.gmsa.ccg-instance", "x"},
      {"io.berth.gmsa.credential-spec-value", "y"},
      {"io.berth.gmsb", "no"},
      {"io.berth.internal.container-id", "no"},
      {"zz", "no"},
  };
  EXPECT_EQ(PlatformAnnotationsOf(all),
            (PlatformAnnotations{{"io.berth.gmsa.ccg-instance", "x"},
                                 {"io.berth.gmsa.credential-spec-value", "y"}}));
}

}  // namespace
}  // namespace berth::daemon
