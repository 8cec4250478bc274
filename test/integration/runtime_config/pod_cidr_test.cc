// UpdateRuntimeConfig against a real berthd, runc and the CNI plugins: the
// pod CIDR the kubelet sends is recorded in <root>/runtime-config.json and,
// through cni.network_config_template, becomes the pod network, before and
// after a restart. Bad CIDRs and broken templates are refused by name.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "test/integration/sandbox/sandbox_env.h"

namespace berth::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr char kRenderedFile[] = "10-berth-net.conflist";

class PodCidrTest : public SandboxFixture {
 protected:
  void SetUp() override {
    SandboxFixture::SetUp();
    // The private bridge, subnet and host-local dir of MakeNetwork, but the
    // subnet comes in through the template: the test network's conflist is
    // never written.
    net_ = MakeNetwork(tmp_.path());
    have_net_ = true;
    cidr_ = net_.subnet_prefix + "0/24";
    template_path_ = tmp_.Sub("net.conflist.tmpl");
    // containerd's documented template shape: ranges and routes as lists.
    std::ofstream(template_path_) << R"({
  "cniVersion": "1.0.0",
  "name": "berth-it",
  "plugins": [
    {
      "type": "bridge",
      "bridge": ")" << net_.bridge << R"(",
      "isGateway": true,
      "ipMasq": false,
      "ipam": {
        "type": "host-local",
        "dataDir": ")" << net_.ipam_dir
                                  << R"(",
        "ranges": [
          {{- range $i, $range := .PodCIDRRanges}}{{if $i}},{{end}}
          [{"subnet": "{{$range}}"}]
          {{- end}}
        ],
        "routes": [{{range $i, $r := .Routes}}{{if $i}}, {{end}}{"dst": "{{$r}}"}{{end}}]
      }
    },
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
)";
  }

  // berthd with `template_path` as cni.network_config_template ("" = none)
  // and nothing in its conf dir but `conflist` when given.
  void Start(const std::string& template_path, const std::string& conflist = "") {
    d_ = std::make_unique<BerthdProcess>(BerthdConfig{.cni_plugin_dirs = {kCniDir},
                                                      .network_config_template = template_path,
                                                      .extra_yaml = RuncOnlyYaml()});
    if (!conflist.empty()) std::ofstream(ConfDir() + "/20-operator.conflist") << conflist;
    ASSERT_NO_FATAL_FAILURE(StartAndTakeBaseline());
  }
  void Restart() {
    ASSERT_EQ(d_->StopWith(SIGTERM), 0);
    ASSERT_NO_FATAL_FAILURE(d_->Start());
  }

  std::string ConfDir() const { return d_->dir().Sub("cni"); }
  std::string RenderedPath() const { return ConfDir() + "/" + kRenderedFile; }
  std::string RecordPath() const { return Root() + "/runtime-config.json"; }
  std::string RecordedCidr() const {
    json doc = json::parse(Slurp(RecordPath()), nullptr, false);
    return doc.is_object() ? doc.value("pod_cidr", "") : "";
  }

  grpc::Status UpdatePodCidr(const std::string& cidr) {
    rt::UpdateRuntimeConfigRequest req;
    req.mutable_runtime_config()->mutable_network_config()->set_pod_cidr(cidr);
    rt::UpdateRuntimeConfigResponse resp;
    return d_->runtime().UpdateRuntimeConfig(Ctx().get(), req, &resp);
  }

  // NetworkReady as Status reports it, with its message for failures.
  bool NetworkReady(std::string* message = nullptr) {
    rt::StatusRequest req;
    rt::StatusResponse resp;
    grpc::Status s = d_->runtime().Status(Ctx().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    for (const auto& c : resp.status().conditions()) {
      if (c.type() != "NetworkReady") continue;
      if (message) *message = c.message();
      return c.status();
    }
    ADD_FAILURE() << "Status has no NetworkReady condition";
    return false;
  }

  // Runs a pod, returns its IP, then stops and removes it.
  std::string PodIp(const std::string& name) {
    std::string id;
    grpc::Status s = Run(PodConfig(name, "uid-" + name), &id);
    EXPECT_TRUE(s.ok()) << s.error_message();
    if (!s.ok()) return "";
    const std::string ip = Status(id).status().network().ip();
    EXPECT_TRUE(Stop(id).ok());
    EXPECT_TRUE(Remove(id).ok());
    return ip;
  }

  std::string cidr_, template_path_;
};

// The whole path a node takes: no network, the kubelet's CIDR arrives, pods
// get addresses in it; after a restart (with the rendered file gone, as on a
// conf dir in tmpfs) the CIDR is still known and the network back.
TEST_F(PodCidrTest, CidrBecomesThePodNetworkAndSurvivesRestart) {
  ASSERT_NO_FATAL_FAILURE(Start(template_path_));
  std::string why;
  EXPECT_FALSE(NetworkReady(&why)) << "ready with an empty conf dir";

  // The kubelet's first calls carry no CIDR: nothing happens.
  grpc::Status s = UpdatePodCidr("");
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_FALSE(fs::exists(RecordPath()));
  EXPECT_FALSE(fs::exists(RenderedPath()));

  s = UpdatePodCidr(cidr_);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(NetworkReady(&why)) << "not ready once the CIDR arrived: " << why;
  EXPECT_EQ(RecordedCidr(), cidr_);
  json rendered = json::parse(Slurp(RenderedPath()), nullptr, false);
  ASSERT_FALSE(rendered.is_discarded()) << Slurp(RenderedPath());
  EXPECT_EQ(rendered["plugins"][0]["ipam"]["ranges"],
            json::parse(R"([[{"subnet":")" + cidr_ + R"("}]])"));
  EXPECT_EQ(rendered["plugins"][0]["ipam"]["routes"], json::parse(R"([{"dst":"0.0.0.0/0"}])"));
  // Sent again (the kubelet repeats it): still fine, nothing rewritten.
  const auto written = fs::last_write_time(RenderedPath());
  ASSERT_TRUE(UpdatePodCidr(cidr_).ok());
  EXPECT_EQ(fs::last_write_time(RenderedPath()), written);

  EXPECT_THAT(PodIp("before-restart"), StartsWith(net_.subnet_prefix));

  ASSERT_EQ(d_->StopWith(SIGTERM), 0);
  ASSERT_TRUE(fs::remove(RenderedPath()));
  ASSERT_NO_FATAL_FAILURE(d_->Start());
  EXPECT_EQ(RecordedCidr(), cidr_);
  EXPECT_TRUE(fs::exists(RenderedPath())) << "not rendered again at start";
  EXPECT_TRUE(NetworkReady(&why)) << "not ready after the restart: " << why;
  EXPECT_THAT(d_->Log(), HasSubstr("pod CIDR " + cidr_ + " restored"));
  EXPECT_THAT(PodIp("after-restart"), StartsWith(net_.subnet_prefix));

  ExpectNoLeaks({RuncRoot()});
}

TEST_F(PodCidrTest, GarbageCidrIsInvalidArgumentNamingTheField) {
  ASSERT_NO_FATAL_FAILURE(Start(template_path_));
  for (const std::string bad : {"banana", "10.0.0.0/33", "10.0.0.1/24", "10.0.0.0/24,,fd00::/64",
                                "fd00::/64\n10.0.0.0/8"}) {
    grpc::Status s = UpdatePodCidr(bad);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << bad;
    EXPECT_THAT(s.error_message(), HasSubstr("runtime_config.network_config.pod_cidr")) << bad;
  }
  EXPECT_FALSE(fs::exists(RecordPath()));
  EXPECT_FALSE(fs::exists(RenderedPath()));
  EXPECT_FALSE(NetworkReady());
}

// containerd's answer without a template: keep the CIDR, leave the conf dir.
TEST_F(PodCidrTest, WithoutTemplateTheCidrIsOnlyRecorded) {
  ASSERT_NO_FATAL_FAILURE(Start(""));
  grpc::Status s = UpdatePodCidr(cidr_ + ", fd00:1::/64");
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(RecordedCidr(), cidr_ + ",fd00:1::/64");
  EXPECT_TRUE(fs::is_empty(ConfDir()));
  EXPECT_FALSE(NetworkReady());
  ASSERT_NO_FATAL_FAILURE(Restart());
  EXPECT_THAT(d_->Log(), HasSubstr("pod CIDR " + cidr_ + ",fd00:1::/64 restored"));
  EXPECT_TRUE(fs::is_empty(ConfDir()));
}

// A network the operator installed wins over the template.
TEST_F(PodCidrTest, AnotherNetworkInTheConfDirIsLeftInPlace) {
  ASSERT_NO_FATAL_FAILURE(Start(template_path_, net_.conflist));
  ASSERT_TRUE(NetworkReady());
  grpc::Status s = UpdatePodCidr(cidr_);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(RecordedCidr(), cidr_);
  EXPECT_FALSE(fs::exists(RenderedPath()));
  EXPECT_THAT(d_->Log(), HasSubstr("20-operator.conflist is in use"));
}

TEST_F(PodCidrTest, BrokenTemplateIsFailedPreconditionAndRecordsNothing) {
  std::ofstream(template_path_) << R"({"cniVersion": "1.0.0", "name": "x", "plugins": [
    {"type": "bridge", "ipam": {"subnet": "{{.PodCidr}}"}}]})";
  ASSERT_NO_FATAL_FAILURE(Start(template_path_));
  grpc::Status s = UpdatePodCidr(cidr_);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr(template_path_));
  EXPECT_THAT(s.error_message(), HasSubstr("line 2: unknown field .PodCidr"));
  // Rendering to something that is not a network config list is refused too.
  std::ofstream(template_path_) << R"({"subnet": "{{.PodCIDR}}"})";
  s = UpdatePodCidr(cidr_);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("not a network config list"));
  EXPECT_FALSE(fs::exists(RecordPath()));
  EXPECT_FALSE(fs::exists(RenderedPath()));
}

}  // namespace
}  // namespace berth::testing
