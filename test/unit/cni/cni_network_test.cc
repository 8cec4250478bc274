#include "pkg/cni/cni_network.h"

#include <filesystem>
#include <sstream>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "test/unit/cni/test_util.h"

namespace berth::cni {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::InstallFake;
using testing::ReadFileOrEmpty;
using testing::TempDir;
using testing::WriteFile;

constexpr char kChain[] = R"({"cniVersion":"1.0.0","name":"chain","plugins":[
  {"type":"first"},
  {"type":"second","capabilities":{"portMappings":true}}]})";

class CniNetworkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    InstallFake(plugins_.path(), "fake-ok", "first");
    InstallFake(plugins_.path(), "fake-ok", "second");
    WriteFile(
        plugins_ / "first.result",
        R"({"cniVersion":"1.0.0","interfaces":[{"name":"br"},{"name":"eth0","sandbox":"/ns"}],)"
        R"("ips":[{"address":"10.9.0.4/24","interface":1},{"address":"fd00::4/64","interface":1}]})");
    WriteFile(
        plugins_ / "second.result",
        R"({"cniVersion":"1.0.0","interfaces":[{"name":"eth0","sandbox":"/ns"}],)"
        R"("ips":[{"address":"10.9.0.4/24","interface":0},{"address":"fd00::4/64","interface":0}]})");
    WriteFile(conf_ / "10-chain.conflist", kChain);
    opts_.conf_dir = conf_.path();
    opts_.plugin_dirs = {plugins_.path()};
    opts_.cache_dir = cache_ / "results";
    opts_.bring_up_loopback = false;
    opts_.plugin_timeout = std::chrono::seconds(20);
  }
  PodNetworkRequest Pod(const std::string& id = "pod1") {
    PodNetworkRequest r;
    r.container_id = id;
    r.netns_path = conf_.path();  // any existing path: the fakes do not enter it
    r.pod_name = "web";
    r.pod_namespace = "ns";
    r.pod_uid = "u1";
    r.port_mappings = {{8080, 80, "TCP", ""}};
    return r;
  }
  json Stdin(const std::string& plugin, const std::string& cmd, const std::string& id = "pod1") {
    return json::parse(ReadFileOrEmpty(plugins_ / (plugin + "." + cmd + "." + id + ".stdin")));
  }
  std::vector<std::string> Calls() {
    std::vector<std::string> calls;
    std::istringstream in(ReadFileOrEmpty(plugins_ / "calls.log"));
    for (std::string line; std::getline(in, line);) calls.push_back(line);
    return calls;
  }
  std::string CachePath(const std::string& net = "chain", const std::string& id = "pod1") {
    return opts_.cache_dir + "/" + net + "-" + id + "-eth0.json";
  }
  TempDir conf_, plugins_, cache_;
  CniOptions opts_;
};

TEST_F(CniNetworkTest, NotReadyWithoutConfigAndAttachSaysWhy) {
  std::filesystem::remove(conf_ / "10-chain.conflist");
  CniNetwork net(opts_);
  Status st = net.Load();
  EXPECT_EQ(st.code(), Code::kFailedPrecondition);
  auto status = net.GetStatus();
  EXPECT_FALSE(status.ready);
  EXPECT_EQ(status.reason, "no CNI network config found in " + conf_.path());
  auto attach = net.Attach(Pod());
  EXPECT_EQ(attach.status().code(), Code::kFailedPrecondition);
  EXPECT_THAT(attach.status().message(), HasSubstr("no CNI network config found"));
}

TEST_F(CniNetworkTest, AttachChainsPrevResultAndCaches) {
  CniNetwork net(opts_);
  ASSERT_TRUE(net.Load().ok());
  EXPECT_TRUE(net.GetStatus().ready);
  EXPECT_EQ(net.GetStatus().network_name, "chain");
  auto attach = net.Attach(Pod());
  ASSERT_TRUE(attach.ok()) << attach.status().ToString();
  EXPECT_EQ(attach->network_name, "chain");
  EXPECT_THAT(attach->pod_ips, ElementsAre("10.9.0.4", "fd00::4"));
  // The first plugin got no prevResult and no runtimeConfig; the second got
  // the first's result and the port mappings, lower-cased.
  json first = Stdin("first", "ADD");
  EXPECT_FALSE(first.contains("prevResult"));
  EXPECT_FALSE(first.contains("runtimeConfig"));
  json second = Stdin("second", "ADD");
  EXPECT_EQ(second["prevResult"], json::parse(ReadFileOrEmpty(plugins_ / "first.result")));
  EXPECT_EQ(second["runtimeConfig"]["portMappings"][0]["protocol"], "tcp");
  EXPECT_EQ(second["runtimeConfig"]["portMappings"][0]["hostPort"], 8080);
  json cached = json::parse(ReadFileOrEmpty(CachePath()));
  EXPECT_EQ(cached["result"], json::parse(ReadFileOrEmpty(plugins_ / "second.result")));
  EXPECT_EQ(cached["config"]["name"], "chain");
  EXPECT_EQ(cached["podName"], "web");
}

TEST_F(CniNetworkTest, DetachRunsReverseOrderWithCachedResultAfterConfigChanged) {
  CniNetwork net(opts_);
  ASSERT_TRUE(net.Load().ok());
  ASSERT_TRUE(net.Attach(Pod()).ok());
  // The admin replaces the network; DEL must still use what ADD used.
  std::filesystem::remove(conf_ / "10-chain.conflist");
  WriteFile(conf_ / "05-other.conflist",
            R"({"cniVersion":"1.0.0","name":"other","plugins":[{"type":"first"}]})");
  ASSERT_TRUE(net.Load().ok());
  ASSERT_TRUE(net.Detach(Pod()).ok());
  EXPECT_THAT(Calls(), ElementsAre("first ADD pod1", "second ADD pod1", "second DEL pod1",
                                   "first DEL pod1"));
  json cached_result = json::parse(ReadFileOrEmpty(plugins_ / "second.result"));
  EXPECT_EQ(Stdin("second", "DEL")["prevResult"], cached_result);
  EXPECT_EQ(Stdin("first", "DEL")["prevResult"], cached_result);
  EXPECT_EQ(Stdin("first", "DEL")["name"], "chain");
  EXPECT_EQ(Stdin("second", "DEL")["runtimeConfig"]["portMappings"][0]["hostPort"], 8080);
  EXPECT_FALSE(std::filesystem::exists(CachePath()));
}

// Found by the chaos test: berthd killed inside a cache write left the
// write's temp file, and nothing ever removed it.
TEST_F(CniNetworkTest, DetachRemovesCacheWritesACrashCutShortAndOnlyThose) {
  CniNetwork net(opts_);
  ASSERT_TRUE(net.Load().ok());
  ASSERT_TRUE(net.Attach(Pod()).ok());
  const std::string dir = opts_.cache_dir;
  WriteFile(dir + "/.chain-pod1-eth0.json.tmp-Ab12Cd", "{");
  WriteFile(dir + "/.renamed-pod1-eth0.json.tmp-Ef34Gh", "{");
  WriteFile(dir + "/.chain-pod2-eth0.json.tmp-Ij56Kl", "{");  // another pod's write
  ASSERT_TRUE(net.Detach(Pod()).ok());
  EXPECT_FALSE(std::filesystem::exists(CachePath()));
  EXPECT_FALSE(std::filesystem::exists(dir + "/.chain-pod1-eth0.json.tmp-Ab12Cd"));
  EXPECT_FALSE(std::filesystem::exists(dir + "/.renamed-pod1-eth0.json.tmp-Ef34Gh"));
  EXPECT_TRUE(std::filesystem::exists(dir + "/.chain-pod2-eth0.json.tmp-Ij56Kl"));
}

TEST_F(CniNetworkTest, DetachSurvivesRestart) {
  {
    CniNetwork net(opts_);
    ASSERT_TRUE(net.Load().ok());
    ASSERT_TRUE(net.Attach(Pod()).ok());
  }
  std::filesystem::remove(conf_ / "10-chain.conflist");
  CniNetwork restarted(opts_);
  EXPECT_FALSE(restarted.Load().ok());
  ASSERT_TRUE(restarted.Detach(Pod()).ok());
  EXPECT_THAT(Calls(), ElementsAre("first ADD pod1", "second ADD pod1", "second DEL pod1",
                                   "first DEL pod1"));
}

TEST_F(CniNetworkTest, DetachWithMissingNetnsPassesEmptyNetns) {
  CniNetwork net(opts_);
  ASSERT_TRUE(net.Load().ok());
  ASSERT_TRUE(net.Attach(Pod()).ok());
  auto gone = Pod();
  gone.netns_path = conf_ / "no-such-netns";
  ASSERT_TRUE(net.Detach(gone).ok());
  std::string env = ReadFileOrEmpty(plugins_ / "first.DEL.pod1.env");
  EXPECT_THAT(env, HasSubstr("CNI_NETNS=\n"));
  EXPECT_FALSE(std::filesystem::exists(CachePath()));
}

TEST_F(CniNetworkTest, DetachWithoutCacheUsesCurrentConfig) {
  CniNetwork net(opts_);
  ASSERT_TRUE(net.Load().ok());
  ASSERT_TRUE(net.Detach(Pod("never")).ok());
  EXPECT_THAT(Calls(), ElementsAre("second DEL never", "first DEL never"));
  EXPECT_FALSE(Stdin("first", "DEL", "never").contains("prevResult"));
}

TEST_F(CniNetworkTest, DetachWithNothingAtAllSucceeds) {
  std::filesystem::remove(conf_ / "10-chain.conflist");
  CniNetwork net(opts_);
  (void)net.Load();
  EXPECT_TRUE(net.Detach(Pod()).ok());
  EXPECT_TRUE(Calls().empty());
}

TEST_F(CniNetworkTest, FailedAddIsUndoneAndReportsPluginMessage) {
  InstallFake(plugins_.path(), "fake-fail", "second");
  CniNetwork net(opts_);
  ASSERT_TRUE(net.Load().ok());
  auto attach = net.Attach(Pod());
  ASSERT_FALSE(attach.ok());
  EXPECT_THAT(attach.status().message(), HasSubstr("CNI plugin \"second\""));
  EXPECT_THAT(attach.status().message(), HasSubstr("fake failure: no luck"));
  EXPECT_THAT(attach.status().message(), HasSubstr("pod1"));
  EXPECT_THAT(Calls(), ElementsAre("first ADD pod1", "second ADD pod1", "second DEL pod1",
                                   "first DEL pod1"));
  // The undo DEL carries what had been set up so far.
  EXPECT_EQ(Stdin("first", "DEL")["prevResult"],
            json::parse(ReadFileOrEmpty(plugins_ / "first.result")));
  EXPECT_FALSE(std::filesystem::exists(CachePath()));
}

TEST_F(CniNetworkTest, FailedUndoKeepsCacheForRetry) {
  InstallFake(plugins_.path(), "fake-fail", "second");
  WriteFile(plugins_ / "second.fail-del", "");
  CniNetwork net(opts_);
  ASSERT_TRUE(net.Load().ok());
  EXPECT_FALSE(net.Attach(Pod()).ok());
  EXPECT_TRUE(std::filesystem::exists(CachePath()));
  std::filesystem::remove(plugins_ / "second.fail-del");
  EXPECT_TRUE(net.Detach(Pod()).ok());
  EXPECT_FALSE(std::filesystem::exists(CachePath()));
}

TEST_F(CniNetworkTest, DetachErrorKeepsCacheAndRunsEveryPlugin) {
  CniNetwork net(opts_);
  ASSERT_TRUE(net.Load().ok());
  ASSERT_TRUE(net.Attach(Pod()).ok());
  InstallFake(plugins_.path(), "fake-fail", "second");
  WriteFile(plugins_ / "second.fail-del", "");
  Status st = net.Detach(Pod());
  EXPECT_THAT(st.message(), HasSubstr("CNI plugin \"second\" (network \"chain\") DEL failed"));
  EXPECT_THAT(Calls(), ElementsAre("first ADD pod1", "second ADD pod1", "second DEL pod1",
                                   "first DEL pod1"));
  EXPECT_TRUE(std::filesystem::exists(CachePath()));
}

TEST_F(CniNetworkTest, Version031DelHasNoPrevResult) {
  WriteFile(conf_ / "10-chain.conflist",
            R"({"cniVersion":"0.3.1","name":"chain","plugins":[{"type":"first"}]})");
  WriteFile(plugins_ / "first.result",
            R"({"cniVersion":"0.3.1","interfaces":[{"name":"eth0","sandbox":"/ns"}],)"
            R"("ips":[{"version":"4","address":"10.9.0.4/24","interface":0}]})");
  CniNetwork net(opts_);
  ASSERT_TRUE(net.Load().ok());
  auto attach = net.Attach(Pod());
  ASSERT_TRUE(attach.ok()) << attach.status().ToString();
  EXPECT_THAT(attach->pod_ips, ElementsAre("10.9.0.4"));
  ASSERT_TRUE(net.Detach(Pod()).ok());
  EXPECT_FALSE(Stdin("first", "DEL").contains("prevResult"));
  EXPECT_TRUE(net.Check(Pod()).code() == Code::kNotFound);  // cache gone after DEL
}

TEST_F(CniNetworkTest, CheckSendsCachedResult) {
  CniNetwork net(opts_);
  ASSERT_TRUE(net.Load().ok());
  ASSERT_TRUE(net.Attach(Pod()).ok());
  ASSERT_TRUE(net.Check(Pod()).ok());
  EXPECT_EQ(Stdin("first", "CHECK")["prevResult"],
            json::parse(ReadFileOrEmpty(plugins_ / "second.result")));
}

TEST_F(CniNetworkTest, AttachRejectsHostileInputBeforeRunningPlugins) {
  CniNetwork net(opts_);
  ASSERT_TRUE(net.Load().ok());
  auto bad = Pod();
  bad.pod_name = "x;K8S_POD_NAMESPACE=kube-system";
  EXPECT_EQ(net.Attach(bad).status().code(), Code::kInvalidArgument);
  bad = Pod("../../etc/passwd");
  EXPECT_EQ(net.Attach(bad).status().code(), Code::kInvalidArgument);
  EXPECT_TRUE(Calls().empty());
}

TEST_F(CniNetworkTest, ParallelAttachesOfDifferentPods) {
  CniNetwork net(opts_);
  ASSERT_TRUE(net.Load().ok());
  constexpr int kPods = 8;
  std::vector<std::thread> threads;
  std::vector<Status> results(kPods);
  for (int i = 0; i < kPods; ++i) {
    threads.emplace_back([&, i] {
      auto r = net.Attach(Pod("p" + std::to_string(i)));
      results[i] = r.ok() ? OkStatus() : r.status();
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < kPods; ++i) {
    EXPECT_TRUE(results[i].ok()) << results[i].ToString();
    EXPECT_TRUE(std::filesystem::exists(CachePath("chain", "p" + std::to_string(i))));
  }
}

TEST_F(CniNetworkTest, LoopbackRunsWithLoInterface) {
  InstallFake(plugins_.path(), "fake-ok", "loopback");
  opts_.bring_up_loopback = true;
  CniNetwork net(opts_);
  ASSERT_TRUE(net.Load().ok());
  ASSERT_TRUE(net.Attach(Pod()).ok());
  EXPECT_THAT(Calls(), ElementsAre("loopback ADD pod1", "first ADD pod1", "second ADD pod1"));
  EXPECT_THAT(ReadFileOrEmpty(plugins_ / "loopback.ADD.pod1.env"), HasSubstr("CNI_IFNAME=lo\n"));
}

}  // namespace
}  // namespace berth::cni
