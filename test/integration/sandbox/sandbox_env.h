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

namespace berth::testing {

namespace rt = runtime::v1;

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

// A minimal valid pod.
rt::PodSandboxConfig PodConfig(const std::string& name, const std::string& uid = "uid-1");
void SetHostNetwork(rt::PodSandboxConfig* c);

// Source tree paths.
std::string TestdataPath(const std::string& rel);  // test/testdata/<rel>

// Writes an executable /bin/sh script.
void WriteScript(const std::string& path, const std::string& body);

// Polls `cond` until it holds or `timeout` passes.
bool WaitFor(const std::function<bool()>& cond, std::chrono::milliseconds timeout);

// Reads a whole file ("" when missing).
std::string Slurp(const std::string& path);

// The base fixture: one berthd per test with a config the test controls.
class SandboxFixture : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Writes berth.yaml (root, runroot, listen, shutdown file, the CNI conf dir
  // and plugin dirs `plugin_dirs` + /usr/lib/cni, then `extra_yaml`) and the
  // test network's conflist, then starts berthd.
  void StartDaemon(const std::string& extra_yaml = "",
                   const std::vector<std::string>& plugin_dirs = {},
                   const TestNetwork* network = nullptr);

  grpc::Status Run(const rt::PodSandboxConfig& c, std::string* id, const std::string& handler = "",
                   std::chrono::seconds timeout = std::chrono::seconds(120));
  rt::PodSandboxStatusResponse Status(const std::string& id, bool verbose = false);
  grpc::Status Stop(const std::string& id);
  grpc::Status Remove(const std::string& id);
  std::vector<rt::PodSandbox> List(const rt::PodSandboxFilter& f = {});

  // Everything a pod may leave on the host, for the daemon as a whole: no
  // mount under its root or runroot (but the pinned-ns mount point itself),
  // no pinned ns file, no bundle or run dir, no exit file, no CNI cache entry,
  // no conmon naming the daemon's dirs, no container in the runtime roots
  // `runtime_roots`, no IP in the network's host-local store, no veth on its
  // bridge.
  void ExpectNoLeaks(const std::vector<std::string>& runtime_roots = {});

  // runtimes: with runc alone, its state root inside the test's dir.
  std::string RuncOnlyYaml() const;
  std::string RuncRoot() const { return tmp_.Sub("runc-root"); }

  std::string Root() const { return d_->dir().Sub("root"); }
  std::string RunRoot() const { return d_->dir().Sub("run"); }

  TempDir tmp_{"berth-sandbox-it"};
  TestNetwork net_;
  bool have_net_ = false;
  std::unique_ptr<BerthdProcess> d_;
};

}  // namespace berth::testing
