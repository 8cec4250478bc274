// pkg/cni against the real plugins from /usr/lib/cni (bridge, host-local,
// portmap, loopback) in network namespaces this test creates. Needs root; it
// fails, not skips, without it. Everything it adds (netns, bridge, veths,
// iptables rules, IP allocations) is removed in TearDown even on failure.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <random>
#include <set>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "pkg/cni/cni_network.h"
#include "test/integration/cni/host_tools.h"
#include "test/integration/harness/berthd_fixture.h"
#include "test/integration/harness/wait_for.h"

namespace berth::cni {
namespace {

using itest::kListener;
using itest::kPodPort;
using itest::TcpRead;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::RunCommand;
using testing::SpawnedProcess;
using testing::TempDir;
using testing::WaitFor;

constexpr char kIp[] = "/usr/sbin/ip";
constexpr char kIptablesSave[] = "/usr/sbin/iptables-save";
constexpr char kSysctl[] = "/usr/sbin/sysctl";

class CniIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::RequireRoot();
    std::random_device rd;
    n_ = static_cast<int>(rd() % 90000) + 10000;
    tag_ = std::to_string(n_);
    bridge_ = "berthtest" + tag_;  // 14 characters: fits IFNAMSIZ
    subnet_prefix_ = "10.199." + std::to_string(n_ % 250) + ".";
    tmp_ = std::make_unique<TempDir>("berth-cni-it");
    dir_ = tmp_->path();
    std::filesystem::create_directories(dir_ + "/net.d");
    std::filesystem::create_directories(dir_ + "/fakes");
    opts_.conf_dir = dir_ + "/net.d";
    opts_.plugin_dirs = {dir_ + "/fakes", "/usr/lib/cni"};
    opts_.cache_dir = dir_ + "/cache";
    opts_.plugin_timeout = std::chrono::seconds(30);
  }

  void TearDown() override {
    if (net_) {
      for (const auto& req : attached_) (void)net_->Detach(req);
    }
    net_.reset();
    listeners_.clear();
    for (const auto& ns : netns_) RunCommand({kIp, "netns", "del", ns});
    RunCommand({kIp, "link", "del", bridge_});
    // Whatever a failed or netns-less DEL left behind. Every per-pod rule the
    // plugins add carries the container ID (which holds tag_) in a comment.
    itest::RemoveIptablesRulesMentioning("berthtest" + tag_);
    tmp_.reset();
  }

  // The test network: bridge + host-local (+ portmap, + extra plugins).
  void WriteConflist(const std::string& extra_plugins = "") {
    std::string conf = R"({"cniVersion":"1.0.0","name":"berthtest","plugins":[
      {"type":"bridge","bridge":")" +
                       bridge_ + R"(","isGateway":true,"ipMasq":true,
       "hairpinMode":true,"ipam":{"type":"host-local","dataDir":")" +
                       dir_ + R"(/ipam",
       "ranges":[[{"subnet":")" +
                       subnet_prefix_ + R"(0/24"}]],"routes":[{"dst":"0.0.0.0/0"}]}},
      {"type":"portmap","capabilities":{"portMappings":true},"snat":true})" +
                       extra_plugins + "]}";
    std::ofstream(opts_.conf_dir + "/10-test.conflist") << conf;
  }

  CniNetwork& Net() {
    if (!net_) {
      net_ = std::make_unique<CniNetwork>(opts_);
      Status st = net_->Load();
      EXPECT_TRUE(st.ok()) << st.ToString();
    }
    return *net_;
  }

  PodNetworkRequest NewPod(const std::string& suffix) {
    std::string ns = "berth-test-" + tag_ + "-" + suffix;
    auto r = RunCommand({kIp, "netns", "add", ns});
    EXPECT_EQ(r.exit_code, 0) << r.output;
    netns_.push_back(ns);
    PodNetworkRequest req;
    req.container_id = "berthtest" + tag_ + suffix;
    req.netns_path = "/run/netns/" + ns;
    req.pod_name = "pod-" + suffix;
    req.pod_namespace = "cni-it";
    req.pod_uid = "uid-" + tag_ + "-" + suffix;
    return req;
  }

  Result<AttachResult> Attach(const PodNetworkRequest& req) {
    attached_.push_back(req);  // TearDown detaches even if the test stops early
    return Net().Attach(req);
  }

  std::string NsName(const PodNetworkRequest& req) {
    return req.netns_path.substr(std::string("/run/netns/").size());
  }

  bool IptablesMention(const std::string& what) {
    return RunCommand({kIptablesSave}).output.find(what) != std::string::npos;
  }

  std::vector<std::string> AllocatedIps() {
    std::vector<std::string> ips;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(dir_ + "/ipam/berthtest", ec)) {
      std::string name = e.path().filename().string();
      if (name.starts_with(subnet_prefix_)) ips.push_back(name);
    }
    return ips;
  }

  int n_ = 0;
  std::string tag_, bridge_, subnet_prefix_, dir_;
  CniOptions opts_;
  std::unique_ptr<CniNetwork> net_;
  std::vector<std::string> netns_;
  std::vector<PodNetworkRequest> attached_;
  std::unique_ptr<TempDir> tmp_;
  std::vector<std::unique_ptr<SpawnedProcess>> listeners_;
};

TEST_F(CniIntegrationTest, AttachReachDetachTearsEverythingDown) {
  WriteConflist();
  auto pod = NewPod("a");
  int host_port = 20000 + n_ % 20000;
  pod.port_mappings = {{host_port, kPodPort, "TCP", "127.0.0.1"}};

  // 1. Attach: an address on the test subnet, lo up.
  auto attach = Attach(pod);
  ASSERT_TRUE(attach.ok()) << attach.status().ToString();
  ASSERT_EQ(attach->pod_ips.size(), 1u);
  const std::string ip = attach->pod_ips[0];
  EXPECT_TRUE(ip.starts_with(subnet_prefix_)) << ip;
  EXPECT_THAT(AllocatedIps(), ::testing::ElementsAre(ip));
  auto lo = RunCommand({kIp, "-n", NsName(pod), "link", "show", "lo"});
  EXPECT_THAT(lo.output, HasSubstr("LOOPBACK,UP"));
  std::string host_veth;
  for (const auto& i : attach->result.interfaces) {
    if (i.sandbox.empty() && i.name != bridge_) host_veth = i.name;
  }
  ASSERT_FALSE(host_veth.empty());
  EXPECT_EQ(RunCommand({kIp, "link", "show", host_veth}).exit_code, 0);
  EXPECT_TRUE(IptablesMention(pod.container_id));
  // portmap 1.1.1 turns on route_localnet on the bridge (the first host-side
  // interface of prevResult), which the 127.0.0.1 DNAT below relies on.
  EXPECT_EQ(RunCommand({kSysctl, "-n", "net.ipv4.conf." + bridge_ + ".route_localnet"}).output,
            "1\n");

  // 2. The host reaches a listener in the pod, directly and via the host port.
  listeners_.push_back(std::make_unique<SpawnedProcess>(std::vector<std::string>{
      kIp, "netns", "exec", NsName(pod), "/usr/bin/python3", "-c", kListener}));
  ASSERT_TRUE(listeners_.back()->started());
  EXPECT_TRUE(WaitFor([&] { return TcpRead(ip, kPodPort) == "hello from pod\n"; },
                      std::chrono::seconds(20)));
  EXPECT_EQ(TcpRead("127.0.0.1", host_port), "hello from pod\n")
      << "hostPort " << host_port << " on 127.0.0.1";

  // 3. Detach: address released, veth gone, no iptables rule names the pod.
  Status st = Net().Detach(pod);
  ASSERT_TRUE(st.ok()) << st.ToString();
  attached_.clear();
  EXPECT_TRUE(AllocatedIps().empty());
  EXPECT_NE(RunCommand({kIp, "link", "show", host_veth}).exit_code, 0);
  EXPECT_NE(RunCommand({kIp, "-n", NsName(pod), "link", "show", "eth0"}).exit_code, 0);
  EXPECT_FALSE(IptablesMention(pod.container_id)) << RunCommand({kIptablesSave}).output;
  EXPECT_FALSE(
      std::filesystem::exists(opts_.cache_dir + "/berthtest-" + pod.container_id + "-eth0.json"));
  // The listener still serves inside the netns (the control: the read
  // above would see its greeting through any path left), yet the host port
  // reaches nothing.
  EXPECT_EQ(itest::TcpReadInNetnsOf(listeners_.back()->pid(), kPodPort), "hello from pod\n");
  EXPECT_EQ(TcpRead("127.0.0.1", host_port, std::chrono::milliseconds(300)), "");
}

TEST_F(CniIntegrationTest, PluginFailureReportsMessageAndLeavesNoAddress) {
  std::filesystem::copy_file(BERTH_CNI_TESTDATA "/fake-fail", dir_ + "/fakes/failer");
  WriteConflist(R"(,{"type":"failer"})");
  auto pod = NewPod("f");
  pod.port_mappings = {{20000 + n_ % 20000, kPodPort, "TCP", "127.0.0.1"}};
  auto attach = Attach(pod);
  ASSERT_FALSE(attach.ok());
  EXPECT_THAT(attach.status().message(), HasSubstr("CNI plugin \"failer\""));
  EXPECT_THAT(attach.status().message(), HasSubstr("fake failure: no luck"));
  EXPECT_TRUE(AllocatedIps().empty());
  EXPECT_FALSE(IptablesMention(pod.container_id)) << RunCommand({kIptablesSave}).output;
  EXPECT_NE(RunCommand({kIp, "-n", NsName(pod), "link", "show", "eth0"}).exit_code, 0);
}

TEST_F(CniIntegrationTest, DetachAfterNetnsRemovedReleasesAddressAndPortmapRules) {
  WriteConflist();
  auto pod = NewPod("g");
  pod.port_mappings = {{20000 + (n_ + 1) % 20000, kPodPort, "TCP", ""}};
  auto attach = Attach(pod);
  ASSERT_TRUE(attach.ok()) << attach.status().ToString();
  ASSERT_EQ(AllocatedIps().size(), 1u);
  ASSERT_EQ(RunCommand({kIp, "netns", "del", NsName(pod)}).exit_code, 0);
  Status st = Net().Detach(pod);
  ASSERT_TRUE(st.ok()) << st.ToString();
  attached_.clear();
  EXPECT_TRUE(AllocatedIps().empty());
  EXPECT_FALSE(
      std::filesystem::exists(opts_.cache_dir + "/berthtest-" + pod.container_id + "-eth0.json"));
  // portmap's rules go. bridge 1.1.1 learns the address to un-masquerade from
  // the interface inside the netns, so its ipMasq rules outlive a netns that
  // was deleted first: the daemon must DEL before releasing the pinned netns.
  std::string rules = RunCommand({kIptablesSave, "-t", "nat"}).output;
  EXPECT_THAT(rules, Not(HasSubstr("dnat name: \"berthtest\" id: \"" + pod.container_id)));
}

TEST_F(CniIntegrationTest, ParallelAttachesGetDistinctAddresses) {
  WriteConflist();
  constexpr int kPods = 4;
  std::vector<PodNetworkRequest> pods;
  for (int i = 0; i < kPods; ++i) pods.push_back(NewPod("p" + std::to_string(i)));
  for (const auto& p : pods) attached_.push_back(p);
  Net();
  std::vector<std::string> ips(kPods);
  std::vector<std::string> errors(kPods);
  std::vector<std::thread> threads;
  for (int i = 0; i < kPods; ++i) {
    threads.emplace_back([&, i] {
      auto r = net_->Attach(pods[i]);
      if (!r.ok())
        errors[i] = r.status().ToString();
      else if (!r->pod_ips.empty())
        ips[i] = r->pod_ips[0];
    });
  }
  for (auto& t : threads) t.join();
  std::set<std::string> distinct;
  for (int i = 0; i < kPods; ++i) {
    EXPECT_EQ(errors[i], "");
    EXPECT_TRUE(ips[i].starts_with(subnet_prefix_)) << ips[i];
    distinct.insert(ips[i]);
  }
  EXPECT_EQ(distinct.size(), static_cast<size_t>(kPods));
  for (const auto& p : pods) EXPECT_TRUE(net_->Detach(p).ok());
  attached_.clear();
  EXPECT_TRUE(AllocatedIps().empty());
}

TEST_F(CniIntegrationTest, ShippedConflistWorksWithDebianPlugins) {
  // The shipped file, with only the bridge, subnet and IPAM store swapped for
  // test ones: proves Debian's plugins accept its cniVersion and fields.
  std::ifstream in(BERTH_SOURCE_DIR "/config/10-berth-bridge.conflist");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto list = ParseConfList(text);
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  auto doc = list->ToJson();
  doc["name"] = "berthtest";
  doc["plugins"][0]["bridge"] = bridge_;
  doc["plugins"][0]["ipam"]["ranges"][0][0]["subnet"] = subnet_prefix_ + "0/24";
  doc["plugins"][0]["ipam"]["dataDir"] = dir_ + "/ipam";
  std::ofstream(opts_.conf_dir + "/10-test.conflist") << doc.dump();
  auto pod = NewPod("s");
  auto attach = Attach(pod);
  ASSERT_TRUE(attach.ok()) << attach.status().ToString();
  EXPECT_EQ(attach->result.cni_version, "1.0.0");
  ASSERT_TRUE(Net().Check(pod).ok());
  ASSERT_TRUE(Net().Detach(pod).ok());
  attached_.clear();
  EXPECT_TRUE(AllocatedIps().empty());
}

}  // namespace
}  // namespace berth::cni
