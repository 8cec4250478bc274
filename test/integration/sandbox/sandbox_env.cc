#include "test/integration/sandbox/sandbox_env.h"

#include <signal.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "pkg/fs/dir.h"

namespace berth::testing {

namespace fs = std::filesystem;

TestNetwork MakeNetwork(const std::string& dir,
                        const std::vector<std::string>& extra_plugin_types) {
  unsigned char r[3];
  if (getrandom(r, sizeof r, 0) != sizeof r) std::abort();
  TestNetwork n;
  char name[16];
  snprintf(name, sizeof name, "bsx%02x%02x%02x", r[0], r[1], r[2]);
  n.bridge = name;
  n.subnet_prefix = "10." + std::to_string(200 + r[0] % 50) + "." + std::to_string(r[1]) + ".";
  n.ipam_dir = dir + "/ipam";
  nlohmann::json plugins = {{{"type", "bridge"},
                             {"bridge", n.bridge},
                             {"isGateway", true},
                             {"ipMasq", false},
                             {"ipam",
                              {{"type", "host-local"},
                               {"dataDir", n.ipam_dir},
                               {"ranges", {{{{"subnet", n.subnet_prefix + "0/24"}}}}},
                               {"routes", {{{"dst", "0.0.0.0/0"}}}}}}},
                            {{"type", "portmap"}, {"capabilities", {{"portMappings", true}}}}};
  for (const auto& type : extra_plugin_types) plugins.push_back({{"type", type}});
  n.conflist =
      nlohmann::json{{"cniVersion", "1.0.0"}, {"name", "berth-it"}, {"plugins", plugins}}.dump();
  return n;
}

std::string TestdataPath(const std::string& rel) {
  return std::string(BERTH_SOURCE_DIR) + "/test/testdata/" + rel;
}

void WriteScript(const std::string& path, const std::string& body) {
  std::ofstream(path) << "#!/bin/sh\n" << body << "\n";
  chmod(path.c_str(), 0755);
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void SandboxFixture::SetUp() {
  RequireRoot();
}

void SandboxFixture::TearDown() {
  if (d_) {
    d_->StopWith(SIGTERM);
    // berthd leaves its pinned-ns dir mounted (shared, like /run/netns) on
    // exit; the test's temporary directory goes, so that mount must too.
    umount2((RunRoot() + "/ns").c_str(), MNT_DETACH);
  }
  if (have_net_) RunCommand({"/usr/sbin/ip", "link", "del", net_.bridge});
}

void SandboxFixture::StartDaemon(const std::string& extra_yaml,
                                 const std::vector<std::string>& plugin_dirs,
                                 const TestNetwork* network) {
  BerthdConfig config{.cni_plugin_dirs = plugin_dirs, .extra_yaml = extra_yaml};
  config.cni_plugin_dirs.push_back(kCniDir);
  if (network) {
    net_ = *network;
    have_net_ = true;
    config.conflist = net_.conflist;
  }
  d_ = std::make_unique<BerthdProcess>(config);
  ASSERT_NO_FATAL_FAILURE(StartAndTakeBaseline());
}

void SandboxFixture::StartAndTakeBaseline() {
  cri_ = std::make_unique<CriClient>(*d_);
  ASSERT_NO_FATAL_FAILURE(d_->Start());
  baseline_ = HostCensus::Take(Scope({RuncRoot()}));
}

void SandboxFixture::StartDaemonWithHangingRuntime(const std::string& create_timeout) {
  WriteScript(tmp_.Sub("hanging"), "BERTH_TEST_HANG_PIDFILE=" + tmp_.Sub("hang.pid") + " exec " +
                                       TestdataPath("runtimes/hanging-runtime") + " \"$@\"");
  const TestNetwork net = MakeNetwork(tmp_.path());
  ASSERT_NO_FATAL_FAILURE(
      StartDaemon("runtimes: {runc: {path: " + std::string(kRunc) + ", root: " + RuncRoot() +
                      "}, hanging: {path: " + tmp_.Sub("hanging") + ", root: " + HangingRoot() +
                      "}}\nruntime_create_timeout: " + create_timeout + "\n",
                  {}, &net));
}

pid_t SandboxFixture::WaitForHungCreate() {
  const std::string pidfile = tmp_.Sub("hang.pid");
  // The script writes the file; nothing else tells the test it got there.
  if (!WaitFor([&] { return !Slurp(pidfile).empty(); }, std::chrono::seconds(30))) {
    ADD_FAILURE() << "the hanging runtime's create never started:\n" << d_->Log();
    return 0;
  }
  return std::stoi(Slurp(pidfile));
}

std::string SandboxFixture::RuncOnlyYaml() const {
  return std::string("runtimes: {runc: {path: ") + kRunc + ", root: " + RuncRoot() +
         ", type: oci}}\n";
}

grpc::Status SandboxFixture::Run(const rt::PodSandboxConfig& c, std::string* id,
                                 const std::string& handler, std::chrono::seconds timeout) {
  Reply<rt::RunPodSandboxResponse> r = cri_->RunPod(c, handler, timeout);
  if (id) *id = r.response.pod_sandbox_id();
  return r.status;
}

rt::PodSandboxStatusResponse SandboxFixture::Status(const std::string& id, bool verbose) {
  Reply<rt::PodSandboxStatusResponse> r = cri_->PodStatus(id, verbose);
  EXPECT_TRUE(r.ok()) << r.status.error_message();
  return r.response;
}

grpc::Status SandboxFixture::Stop(const std::string& id) {
  return cri_->StopPod(id);
}

grpc::Status SandboxFixture::Remove(const std::string& id) {
  return cri_->RemovePod(id);
}

std::vector<rt::PodSandbox> SandboxFixture::List(const rt::PodSandboxFilter& f) {
  Reply<rt::ListPodSandboxResponse> r = cri_->ListPods(f);
  EXPECT_TRUE(r.ok()) << r.status.error_message();
  return {r.response.items().begin(), r.response.items().end()};
}

CensusScope SandboxFixture::Scope(const std::vector<std::string>& runtime_roots) const {
  CensusScope s;
  s.daemon_dir = d_->dir().path();
  s.other_dirs = {tmp_.path()};
  s.runtime_roots = runtime_roots;
  if (have_net_) {
    s.bridge = net_.bridge;
    s.subnet_prefix = net_.subnet_prefix;
    s.ipam_dir = net_.ipam_dir;
  }
  if (cri_) s.ids = cri_->SeenIds();
  return s;
}

void SandboxFixture::ExpectNoLeaks(const std::vector<std::string>& runtime_roots) {
  EXPECT_TRUE(d_->WaitRemovalsFinished()) << "a removal did not finish after its answer";
  berth::testing::ExpectNoLeaks(Scope(runtime_roots), baseline_);
}

}  // namespace berth::testing
