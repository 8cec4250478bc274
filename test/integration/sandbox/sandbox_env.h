// Shared pieces of the pod sandbox integration tests: a private CNI network
// per test, a berthd whose config the test writes in full, CRI call helpers,
// and a leak census of everything a pod can leave behind on the host.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "test/integration/harness/berthd_fixture.h"
#include "test/integration/harness/cri_client.h"
#include "test/integration/harness/cri_configs.h"
#include "test/integration/harness/host_census.h"
#include "test/integration/harness/wait_for.h"

namespace berth::testing {

inline constexpr char kRunc[] = "/usr/sbin/runc";
inline constexpr char kCniDir[] = "/usr/lib/cni";

// A private bridge and /24 per test, so tests (also under ctest -j) never
// share CNI state. `extra_plugins` are appended to bridge (+host-local) and
// portmap, e.g. a failing plugin that forces the chain to be undone.
struct TestNetwork {
  std::string bridge;
  std::string subnet_prefix;  // "10.<a>.<b>."
  std::string ipam_dir;       // host-local dataDir
  std::string conflist;
};
TestNetwork MakeNetwork(const std::string& dir,
                        const std::vector<std::string>& extra_plugin_types = {});

// Source tree paths.
std::string TestdataPath(const std::string& rel);  // test/testdata/<rel>

// Writes an executable /bin/sh script.
void WriteScript(const std::string& path, const std::string& body);

// Reads a whole file ("" when missing).
std::string Slurp(const std::string& path);

// The base fixture: one berthd per test with a config the test controls.
class SandboxFixture : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Starts berthd with CNI plugin dirs `plugin_dirs` + /usr/lib/cni,
  // `extra_yaml`, and the test network's conflist; takes the leak census's
  // baseline once it serves.
  void StartDaemon(const std::string& extra_yaml = "",
                   const std::vector<std::string>& plugin_dirs = {},
                   const TestNetwork* network = nullptr);
  // Starts d_ (made by the caller) and takes the census's baseline.
  void StartAndTakeBaseline();
  // StartDaemon on the test network with two runtimes: runc, and "hanging"
  // (testdata/runtimes/hanging-runtime, state in HangingRoot()), whose
  // create writes its pid and then blocks; `create_timeout` is berthd's
  // runtime_create_timeout.
  void StartDaemonWithHangingRuntime(const std::string& create_timeout);
  // The pid of the hanging runtime's blocked create once it wrote it; 0 (and
  // a test failure) when none came within 30 s.
  pid_t WaitForHungCreate();
  std::string HangingRoot() const { return tmp_.Sub("hang-root"); }

  grpc::Status Run(const rt::PodSandboxConfig& c, std::string* id, const std::string& handler = "",
                   std::chrono::seconds timeout = std::chrono::seconds(120));
  rt::PodSandboxStatusResponse Status(const std::string& id, bool verbose = false);
  grpc::Status Stop(const std::string& id);
  grpc::Status Remove(const std::string& id);
  std::vector<rt::PodSandbox> List(const rt::PodSandboxFilter& f = {});

  // Waits for removals to finish, then expects the host census
  // (harness/host_census.h) to hold nothing its baseline did not: mounts,
  // pins, berthd's files, state in the runtime roots `runtime_roots`, IPs,
  // veths and iptables rules of the test network, processes and cgroups of
  // every ID berthd answered with.
  void ExpectNoLeaks(const std::vector<std::string>& runtime_roots = {});
  // What the census looks at for this test.
  CensusScope Scope(const std::vector<std::string>& runtime_roots) const;
  CriClient& cri() { return *cri_; }

  // runtimes: with runc alone, its state root inside the test's dir.
  std::string RuncOnlyYaml() const;
  std::string RuncRoot() const { return tmp_.Sub("runc-root"); }

  std::string Root() const { return d_->dir().Sub("root"); }
  std::string RunRoot() const { return d_->dir().Sub("run"); }

  TempDir tmp_{"berth-sandbox-it"};
  TestNetwork net_;
  bool have_net_ = false;
  std::unique_ptr<BerthdProcess> d_;
  std::unique_ptr<CriClient> cri_;
  HostCensus baseline_;
};

}  // namespace berth::testing
