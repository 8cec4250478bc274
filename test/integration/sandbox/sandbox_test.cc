// Pod sandboxes on real runc, conmon and CNI plugins (bridge, host-local,
// portmap, loopback): lifecycle, conflicts, lookups, filters, bad input, and
// nothing left behind.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <map>

#include "test/integration/sandbox/sandbox_env.h"

namespace berth::testing {
namespace {

namespace fs = std::filesystem;
namespace rt = runtime::v1;
using ::testing::HasSubstr;

// The harness's pod with an annotation, which the round trip reads back.
rt::PodSandboxConfig TestPod(const std::string& name, const std::string& uid = "uid-1") {
  rt::PodSandboxConfig c = PodConfig(name, uid);
  (*c.mutable_annotations())["note"] = "test";
  return c;
}

// A berthd with runc alone (its state root private to the test) on a private
// bridge and subnet, so tests never share CNI or runtime state.
class SandboxTest : public SandboxFixture {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(SandboxFixture::SetUp());
    const TestNetwork net = MakeNetwork(tmp_.path());
    ASSERT_NO_FATAL_FAILURE(StartDaemon(RuncOnlyYaml(), {}, &net));
  }
  // The census over everything a pod may leave (SandboxFixture::ExpectNoLeaks).
  void ExpectNothingLeft() { ExpectNoLeaks({RuncRoot()}); }
};

TEST_F(SandboxTest, RunStatusStopRemoveRoundTripLeavesNothing) {
  std::string id;
  grpc::Status s = Run(TestPod("web"), &id);
  ASSERT_TRUE(s.ok()) << s.error_message() << "\n" << d_->Log();
  ASSERT_EQ(id.size(), 64u);

  rt::PodSandboxStatusResponse st = Status(id, true);
  EXPECT_EQ(st.status().state(), rt::SANDBOX_READY);
  EXPECT_EQ(st.status().metadata().name(), "web");
  EXPECT_THAT(st.status().network().ip(), ::testing::StartsWith(net_.subnet_prefix));
  EXPECT_EQ(st.status().labels().at("app"), "web");
  EXPECT_EQ(st.status().annotations().at("note"), "test");
  EXPECT_EQ(st.status().runtime_handler(), "runc");
  auto info = nlohmann::json::parse(st.info().at("info"));
  EXPECT_EQ(info["runtime"]["name"], "runc");
  EXPECT_EQ(info["runtime"]["trust"], "trusted");
  EXPECT_GT(info["pid"].get<int>(), 0);
  EXPECT_TRUE(fs::exists(info["netns_path"].get<std::string>()));

  ASSERT_TRUE(Stop(id).ok());
  EXPECT_EQ(Status(id).status().state(), rt::SANDBOX_NOTREADY);
  EXPECT_TRUE(Stop(id).ok()) << "stop is idempotent";
  ASSERT_TRUE(Remove(id).ok());
  EXPECT_TRUE(Remove(id).ok()) << "remove of an unknown ID succeeds";
  EXPECT_TRUE(Stop(id).ok()) << "stop of an unknown ID succeeds";
  EXPECT_TRUE(List().empty());
  ExpectNothingLeft();
}

TEST_F(SandboxTest, RemoveWithoutStopStopsFirst) {
  std::string id;
  ASSERT_TRUE(Run(TestPod("direct"), &id).ok()) << d_->Log();
  ASSERT_TRUE(Remove(id).ok());
  ExpectNothingLeft();
}

TEST_F(SandboxTest, SameNameConflictsAndRetryOfSameConfigReturnsTheSandbox) {
  std::string id, again, other;
  ASSERT_TRUE(Run(TestPod("dup"), &id).ok()) << d_->Log();
  // The kubelet retrying the very same request gets the sandbox it asked for.
  ASSERT_TRUE(Run(TestPod("dup"), &again).ok());
  EXPECT_EQ(again, id);
  // The same name with a different config is a conflict naming the holder.
  rt::PodSandboxConfig changed = TestPod("dup");
  (*changed.mutable_labels())["v"] = "2";
  grpc::Status s = Run(changed, &other);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_THAT(s.error_message(), HasSubstr(id));
  ASSERT_TRUE(Remove(id).ok());
}

TEST_F(SandboxTest, PrefixesAndFiltersFindTheRightPods) {
  std::string a, b;
  ASSERT_TRUE(Run(TestPod("alpha", "u-a"), &a).ok()) << d_->Log();
  ASSERT_TRUE(Run(TestPod("beta", "u-b"), &b).ok());
  EXPECT_EQ(Status(a.substr(0, 12)).status().id(), a);

  rt::PodSandboxFilter by_label;
  (*by_label.mutable_label_selector())["app"] = "beta";
  auto items = List(by_label);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].id(), b);

  rt::PodSandboxFilter by_id;
  by_id.set_id(a.substr(0, 10));
  items = List(by_id);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].id(), a);

  ASSERT_TRUE(Stop(a).ok());
  rt::PodSandboxFilter ready;
  ready.mutable_state()->set_state(rt::SANDBOX_READY);
  items = List(ready);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].id(), b);
  EXPECT_EQ(List().size(), 2u);

  rt::PodSandboxStatusRequest unknown;
  unknown.set_pod_sandbox_id("ffffffffffff");
  rt::PodSandboxStatusResponse resp;
  EXPECT_EQ(d_->runtime().PodSandboxStatus(Ctx().get(), unknown, &resp).error_code(),
            grpc::StatusCode::NOT_FOUND);
  ASSERT_TRUE(Remove(a).ok());
  ASSERT_TRUE(Remove(b).ok());
}

TEST_F(SandboxTest, HostNetworkPodHasNoNetnsAndNoIp) {
  rt::PodSandboxConfig c = TestPod("hostnet");
  c.mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_network(rt::NODE);
  std::string id;
  ASSERT_TRUE(Run(c, &id).ok()) << d_->Log();
  rt::PodSandboxStatusResponse st = Status(id, true);
  EXPECT_EQ(st.status().state(), rt::SANDBOX_READY);
  EXPECT_EQ(st.status().network().ip(), "");
  EXPECT_EQ(nlohmann::json::parse(st.info().at("info"))["netns_path"], "");
  ASSERT_TRUE(Remove(id).ok());
  ExpectNothingLeft();
}

// The "Seccomp:" line of a process's status: 0 none, 2 a filter.
std::string SeccompModeOf(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("Seccomp:", 0) == 0) return line.substr(line.find_first_not_of(" \t", 8));
  }
  return "";
}

// The kubelet asks RuntimeDefault for every pod: the infra process runs
// under it, and an unconfined pod's does not.
TEST_F(SandboxTest, PodSeccompProfileAppliesToTheInfraProcess) {
  std::map<std::string, std::string> mode;
  for (auto [name, type] : {std::pair{"filtered", rt::SecurityProfile::RuntimeDefault},
                            std::pair{"unfiltered", rt::SecurityProfile::Unconfined}}) {
    rt::PodSandboxConfig c = TestPod(name);
    auto* sc = c.mutable_linux()->mutable_security_context();
    sc->mutable_namespace_options()->set_network(rt::NODE);
    sc->mutable_seccomp()->set_profile_type(type);
    std::string id;
    ASSERT_TRUE(Run(c, &id).ok()) << d_->Log();
    int pid = nlohmann::json::parse(Status(id, true).info().at("info"))["pid"].get<int>();
    mode[name] = SeccompModeOf(pid);
    ASSERT_TRUE(Remove(id).ok());
  }
  EXPECT_EQ(mode["filtered"], "2");
  EXPECT_EQ(mode["unfiltered"], "0");
}

struct BadPod {
  const char* what;
  std::function<void(rt::PodSandboxConfig*)> mutate;
  const char* names;  // the field the error must name
};

TEST_F(SandboxTest, InvalidConfigsAreRefusedNamingTheFieldAndLeaveNothing) {
  std::vector<BadPod> cases = {
      {"no metadata", [](rt::PodSandboxConfig* c) { c->clear_metadata(); }, "metadata"},
      {"no uid", [](rt::PodSandboxConfig* c) { c->mutable_metadata()->clear_uid(); },
       "metadata.uid"},
      {"bad hostname", [](rt::PodSandboxConfig* c) { c->set_hostname("bad host"); }, "hostname"},
      {"relative log dir", [](rt::PodSandboxConfig* c) { c->set_log_directory("logs"); },
       "log_directory"},
      {"bad dns server",
       [](rt::PodSandboxConfig* c) { c->mutable_dns_config()->add_servers("8.8.8"); },
       "dns_config.servers[0]"},
      {"bad port",
       [](rt::PodSandboxConfig* c) { c->add_port_mappings()->set_container_port(70000); },
       "port_mappings[0].container_port"},
      {"smuggled sysctl",
       [](rt::PodSandboxConfig* c) {
         (*c->mutable_linux()->mutable_sysctls())["net.ipv4.ip_forward"] = "1\nkernel.x=1";
       },
       "net.ipv4.ip_forward"},
      {"host sysctl",
       [](rt::PodSandboxConfig* c) {
         (*c->mutable_linux()->mutable_sysctls())["vm.swappiness"] = "1";
       },
       "vm.swappiness"},
      {"reserved annotation",
       [](rt::PodSandboxConfig* c) { (*c->mutable_annotations())["io.berth.internal.x"] = "1"; },
       "io.berth.internal.x"},
      {"empty annotation key",
       [](rt::PodSandboxConfig* c) { (*c->mutable_annotations())[""] = "1"; }, "annotations"},
      {"underscore in name",
       [](rt::PodSandboxConfig* c) { c->mutable_metadata()->set_name("a_b"); }, "metadata.name"},
      {"no namespace", [](rt::PodSandboxConfig* c) { c->mutable_metadata()->clear_namespace_(); },
       "metadata.namespace"},
      {"hostname with newline", [](rt::PodSandboxConfig* c) { c->set_hostname("a\nb"); },
       "hostname"},
      {"log dir with ..", [](rt::PodSandboxConfig* c) { c->set_log_directory("/var/log/../x"); },
       "log_directory"},
      {"bad dns search",
       [](rt::PodSandboxConfig* c) { c->mutable_dns_config()->add_searches("a b"); },
       "dns_config.searches[0]"},
      {"dns option with newline",
       [](rt::PodSandboxConfig* c) { c->mutable_dns_config()->add_options("ndots:1\nnameserver"); },
       "dns_config.options[0]"},
      {"host port out of range",
       [](rt::PodSandboxConfig* c) {
         auto* p = c->add_port_mappings();
         p->set_container_port(80);
         p->set_host_port(70000);
       },
       "port_mappings[0].host_port"},
      {"bad host ip",
       [](rt::PodSandboxConfig* c) {
         auto* p = c->add_port_mappings();
         p->set_container_port(80);
         p->set_host_ip("1.2.3");
       },
       "port_mappings[0].host_ip"},
      {"unknown protocol",
       [](rt::PodSandboxConfig* c) {
         auto* p = c->add_port_mappings();
         p->set_container_port(80);
         p->set_protocol(static_cast<rt::Protocol>(9));
       },
       "port_mappings[0].protocol"},
      {"sysctl smuggled with = and +",
       [](rt::PodSandboxConfig* c) {
         (*c->mutable_linux()->mutable_sysctls())["net.ipv4.ip_forward"] = "1+kernel.x=1";
       },
       "net.ipv4.ip_forward"},
      {"sysctl name with =",
       [](rt::PodSandboxConfig* c) {
         (*c->mutable_linux()->mutable_sysctls())["net.ipv4.ip_forward=1"] = "1";
       },
       "net.ipv4.ip_forward=1"},
      {"sysctl name with empty component",
       [](rt::PodSandboxConfig* c) { (*c->mutable_linux()->mutable_sysctls())["net..x"] = "1"; },
       "net..x"},
      {"net sysctl with host network",
       [](rt::PodSandboxConfig* c) {
         c->mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_network(
             rt::NODE);
         (*c->mutable_linux()->mutable_sysctls())["net.ipv4.ip_forward"] = "1";
       },
       "net.ipv4.ip_forward"},
      {"ipc sysctl with host ipc",
       [](rt::PodSandboxConfig* c) {
         c->mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_ipc(
             rt::NODE);
         (*c->mutable_linux()->mutable_sysctls())["kernel.shmmax"] = "1000";
       },
       "kernel.shmmax"},
      {"relative cgroup parent",
       [](rt::PodSandboxConfig* c) { c->mutable_linux()->set_cgroup_parent("kubepods/pod1"); },
       "linux.cgroup_parent"},
      {"cgroup parent with ..",
       [](rt::PodSandboxConfig* c) { c->mutable_linux()->set_cgroup_parent("/kubepods/../x"); },
       "linux.cgroup_parent"},
      {"network namespace TARGET",
       [](rt::PodSandboxConfig* c) {
         c->mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_network(
             rt::TARGET);
       },
       "namespace_options"},
      {"ipc namespace CONTAINER",
       [](rt::PodSandboxConfig* c) {
         c->mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_ipc(
             rt::CONTAINER);
       },
       "namespace_options"},
      {"unknown pid namespace mode",
       [](rt::PodSandboxConfig* c) {
         c->mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_pid(
             static_cast<rt::NamespaceMode>(7));
       },
       "namespace_options"},
      {"negative run_as_user",
       [](rt::PodSandboxConfig* c) {
         c->mutable_linux()->mutable_security_context()->mutable_run_as_user()->set_value(-1);
       },
       "run_as_user"},
      {"negative run_as_group",
       [](rt::PodSandboxConfig* c) {
         c->mutable_linux()->mutable_security_context()->mutable_run_as_group()->set_value(-2);
       },
       "run_as_group"},
      {"negative supplemental group",
       [](rt::PodSandboxConfig* c) {
         c->mutable_linux()->mutable_security_context()->add_supplemental_groups(-3);
       },
       "supplemental_groups"},
      {"relative seccomp profile",
       [](rt::PodSandboxConfig* c) {
         auto* p = c->mutable_linux()->mutable_security_context()->mutable_seccomp();
         p->set_profile_type(rt::SecurityProfile::Localhost);
         p->set_localhost_ref("profile.json");
       },
       "seccomp.localhost_ref"},
      {"negative overhead",
       [](rt::PodSandboxConfig* c) {
         c->mutable_linux()->mutable_overhead()->set_memory_limit_in_bytes(-1);
       },
       "linux.overhead"},
      {"resources cpu period out of range",
       [](rt::PodSandboxConfig* c) { c->mutable_linux()->mutable_resources()->set_cpu_period(10); },
       "linux.resources.cpu_period"},
  };
  for (const auto& bad : cases) {
    rt::PodSandboxConfig c = TestPod("bad");
    bad.mutate(&c);
    grpc::Status s = Run(c, nullptr);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << bad.what << ": " << s.error_message();
    EXPECT_THAT(s.error_message(), HasSubstr(bad.names)) << bad.what;
  }
  EXPECT_TRUE(List().empty());
  ExpectNothingLeft();
  // The daemon is still up and the name is free.
  std::string id;
  ASSERT_TRUE(Run(TestPod("bad"), &id).ok()) << d_->Log();
  ASSERT_TRUE(Remove(id).ok());
  ExpectNothingLeft();
}

TEST_F(SandboxTest, UnknownRuntimeHandlerListsTheConfiguredOnes) {
  rt::RunPodSandboxRequest req;
  *req.mutable_config() = TestPod("handler");
  req.set_runtime_handler("kata");
  rt::RunPodSandboxResponse resp;
  grpc::Status s = d_->runtime().RunPodSandbox(Ctx().get(), req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("kata"));
  EXPECT_THAT(s.error_message(), HasSubstr("runc"));
}

TEST_F(SandboxTest, UntrustedPodWithoutUntrustedRuntimeIsRefused) {
  rt::PodSandboxConfig c = TestPod("untrusted");
  (*c.mutable_annotations())["io.kubernetes.cri.untrusted-workload"] = "true";
  grpc::Status s = Run(c, nullptr);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("untrusted"));
}

}  // namespace
}  // namespace berth::testing
