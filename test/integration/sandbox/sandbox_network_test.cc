// Pod networking through a real berthd with the bridge, host-local and
// portmap plugins: the host reaches a listener inside the pod's pinned netns
// at the pod IP and through a hostPort on 127.0.0.1; 20 pods started at once
// all come up with distinct addresses; nothing is left after removal.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <future>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "test/integration/cni/host_tools.h"
#include "test/integration/sandbox/sandbox_env.h"

namespace berth::testing {
namespace {

using cni::itest::kListener;
using cni::itest::kPodPort;
using cni::itest::TcpRead;
using ::testing::HasSubstr;
using ::testing::Not;

class NetworkTest : public SandboxFixture {
 protected:
  void SetUp() override {
    SandboxFixture::SetUp();
    TestNetwork net = MakeNetwork(tmp_.path());
    ASSERT_NO_FATAL_FAILURE(StartDaemon(RuncOnlyYaml(), {}, &net));
  }
};

// portmap (containernetworking-plugins 1.1) DNATs a hostPort bound to
// 127.0.0.1 in nat OUTPUT, masquerades the 127.0.0.1 source and turns on
// route_localnet on the bridge so that such packets may leave loopback.
TEST_F(NetworkTest, HostReachesPodListenerAtPodIpAndThroughHostPortOnLoopback) {
  const int host_port = 20000 + static_cast<int>(getpid() % 20000);
  rt::PodSandboxConfig pod = PodConfig("web");
  rt::PortMapping* pm = pod.add_port_mappings();
  pm->set_container_port(kPodPort);
  pm->set_host_port(host_port);
  pm->set_host_ip("127.0.0.1");
  std::string id;
  grpc::Status s = Run(pod, &id);
  ASSERT_TRUE(s.ok()) << s.error_message() << "\n" << d_->Log();
  auto st = Status(id, true);
  const std::string ip = st.status().network().ip();
  ASSERT_THAT(ip, ::testing::StartsWith(net_.subnet_prefix));
  const std::string netns =
      nlohmann::json::parse(st.info().at("info"))["netns_path"].get<std::string>();
  EXPECT_THAT(RunCommand({"/usr/sbin/ip", "-o", "link", "show", "master", net_.bridge}).output,
              HasSubstr("veth"));
  EXPECT_THAT(RunCommand({"/usr/sbin/iptables-save", "-t", "nat"}).output, HasSubstr(id));
  EXPECT_EQ(
      RunCommand({"/usr/sbin/sysctl", "-n", "net.ipv4.conf." + net_.bridge + ".route_localnet"})
          .output,
      "1\n");

  {
    // The listener lives through the removal (its process keeps the pod's
    // netns): the reads after it fail because the path is gone, not because
    // nobody listens.
    SpawnedProcess listener(
        {"/usr/bin/nsenter", "--net=" + netns, "/usr/bin/python3", "-c", kListener});
    ASSERT_TRUE(listener.started());
    EXPECT_TRUE(WaitFor([&] { return TcpRead(ip, kPodPort) == "hello from pod\n"; },
                        std::chrono::seconds(20)))
        << "pod IP " << ip;
    EXPECT_EQ(TcpRead("127.0.0.1", host_port), "hello from pod\n") << "hostPort " << host_port;

    ASSERT_TRUE(Remove(id).ok());
    ASSERT_TRUE(d_->WaitRemovalsFinished());
    EXPECT_EQ(cni::itest::TcpReadInNetnsOf(listener.pid(), kPodPort), "hello from pod\n")
        << "control: the listener must still serve inside its netns";
    EXPECT_EQ(TcpRead("127.0.0.1", host_port, std::chrono::milliseconds(300)), "");
    EXPECT_EQ(TcpRead(ip, kPodPort, std::chrono::milliseconds(300)), "");
  }
  std::string rules = RunCommand({"/usr/sbin/iptables-save"}).output;
  EXPECT_THAT(rules, Not(HasSubstr(id))) << "a CNI-HOSTPORT/CNI-DN rule of the pod is left";
  EXPECT_THAT(rules, Not(HasSubstr("--dport " + std::to_string(host_port) + " ")));
  ExpectNoLeaks({RuncRoot()});
}

// A pod's processes talk to each other over 127.0.0.1: lo is up with its
// address in the pod's netns (berthd brings it up when it pins the
// namespace, without running the CNI loopback plugin).
TEST_F(NetworkTest, PodNetnsHasLoopbackUpWithItsAddress) {
  std::string id;
  grpc::Status s = Run(PodConfig("lo"), &id);
  ASSERT_TRUE(s.ok()) << s.error_message() << "\n" << d_->Log();
  const std::string netns =
      nlohmann::json::parse(Status(id, true).info().at("info"))["netns_path"].get<std::string>();
  ProcessResult link = RunCommand(
      {"/usr/bin/nsenter", "--net=" + netns, "/usr/sbin/ip", "-o", "link", "show", "lo"});
  EXPECT_THAT(link.output, HasSubstr(",UP")) << link.output;
  ProcessResult addr = RunCommand(
      {"/usr/bin/nsenter", "--net=" + netns, "/usr/sbin/ip", "-o", "-4", "addr", "show", "lo"});
  EXPECT_THAT(addr.output, HasSubstr("inet 127.0.0.1/8")) << addr.output;
  ASSERT_TRUE(Remove(id).ok());
}

TEST_F(NetworkTest, TwentyPodsStartedConcurrentlyAreReadyWithDistinctIpsAndRemoveCleanly) {
  constexpr int kPods = 20;
  std::vector<std::future<std::pair<grpc::Status, std::string>>> runs;
  for (int i = 0; i < kPods; ++i) {
    runs.push_back(std::async(std::launch::async, [this, i] {
      std::string id;
      grpc::Status s = Run(PodConfig("many" + std::to_string(i), "uid-" + std::to_string(i)), &id,
                           "", std::chrono::seconds(300));
      return std::make_pair(s, id);
    }));
  }
  std::vector<std::string> ids;
  for (auto& r : runs) {
    auto [s, id] = r.get();
    EXPECT_TRUE(s.ok()) << s.error_message();
    if (s.ok()) ids.push_back(id);
  }
  ASSERT_EQ(ids.size(), static_cast<size_t>(kPods)) << d_->Log();

  std::set<std::string> ips;
  for (const auto& id : ids) {
    auto st = Status(id);
    EXPECT_EQ(st.status().state(), rt::SANDBOX_READY) << id;
    EXPECT_THAT(st.status().network().ip(), ::testing::StartsWith(net_.subnet_prefix));
    ips.insert(st.status().network().ip());
  }
  EXPECT_EQ(ips.size(), static_cast<size_t>(kPods)) << "pod IPs must be distinct";
  rt::PodSandboxFilter ready;
  ready.mutable_state()->set_state(rt::SANDBOX_READY);
  EXPECT_EQ(List(ready).size(), static_cast<size_t>(kPods));

  std::vector<std::future<grpc::Status>> stops, removes;
  for (const auto& id : ids)
    stops.push_back(std::async(std::launch::async, [&, id] { return Stop(id); }));
  for (auto& f : stops) {
    grpc::Status s = f.get();
    EXPECT_TRUE(s.ok()) << s.error_message();
  }
  for (const auto& id : ids) {
    removes.push_back(std::async(std::launch::async, [&, id] { return Remove(id); }));
  }
  for (auto& f : removes) {
    grpc::Status s = f.get();
    EXPECT_TRUE(s.ok()) << s.error_message();
  }
  EXPECT_TRUE(List().empty());
  ExpectNoLeaks({RuncRoot()});
}

// A completed stop is recorded: a repeated stop (the kubelet repeats them)
// and the removal after it release nothing twice, so the pod's network is
// torn down by exactly one CNI DEL.
class OneDetachTest : public SandboxFixture {};

TEST_F(OneDetachTest, AStoppedPodIsDetachedFromItsNetworkOnce) {
  // Last in the chain: logs each call, passes the previous result on.
  const std::string plugins = tmp_.Sub("plugins");
  std::filesystem::create_directories(plugins);
  WriteScript(plugins + "/counter",
              "echo \"$CNI_COMMAND $CNI_CONTAINERID\" >> \"$(dirname \"$0\")/calls.log\"\n"
              "[ \"$CNI_COMMAND\" = ADD ] || { cat >/dev/null; exit 0; }\n"
              "exec /usr/bin/python3 -c 'import json,sys; "
              "print(json.dumps(json.load(sys.stdin)[\"prevResult\"]))'");
  TestNetwork net = MakeNetwork(tmp_.path(), {"counter"});
  ASSERT_NO_FATAL_FAILURE(StartDaemon(RuncOnlyYaml(), {plugins}, &net));

  std::string id;
  ASSERT_TRUE(Run(PodConfig("once"), &id).ok()) << d_->Log();
  ASSERT_TRUE(Stop(id).ok());
  ASSERT_TRUE(Stop(id).ok());
  ASSERT_TRUE(Remove(id).ok());
  const std::string calls = Slurp(plugins + "/calls.log");
  std::istringstream lines(calls);
  int dels = 0;
  for (std::string line; std::getline(lines, line);) dels += line == "DEL " + id;
  EXPECT_EQ(dels, 1) << "calls:\n" << calls;
  ExpectNoLeaks({RuncRoot()});
}

}  // namespace
}  // namespace berth::testing
