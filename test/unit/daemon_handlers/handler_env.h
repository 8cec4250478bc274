// A berthd Server opened without a socket, over a fake OCI runtime
// (fake_oci_runtime.sh) and directories of its own, so its handlers can be
// called directly: no root, no conmon, no rootfs, no network. What a handler
// needs from a real node (a running pod, a created container) is seeded into
// the stores the way CreateContainer and RunPodSandbox leave them.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "daemon/server.h"
#include "pkg/config/config.h"

namespace berth::daemon::testing {

// Whether anything (a symlink too) is at `path`.
bool PathExists(const std::string& path);

// An "oci" runtime entry of the config.
config::RuntimeEntry RuntimeAt(const std::string& path, const std::string& root);

class HandlerTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // The config Open() is given: everything under dir_, the fake runtime as
  // "runc", no CNI config (NetworkReady false), no metrics endpoint.
  config::Config TestConfig() const;
  // A Server over `config`, opened; fails the test when Open() does.
  std::unique_ptr<Server> OpenServer(const config::Config& config);
  // Stops server_ (its reaper drains) and opens a new one on the same
  // directories: a berthd restart.
  void Restart();

  // A READY pod with host namespaces (nothing pinned), in the stores, its
  // infra running in the fake runtime.
  std::shared_ptr<Sandbox> AddReadySandbox(const std::string& name);
  // A container of `pod` in `state`, with a bundle holding the config.json
  // `process` given, and the fake runtime's record of it.
  std::shared_ptr<Container> AddContainer(const Sandbox& pod, const std::string& name,
                                          runtime::v1::ContainerState state,
                                          const nlohmann::json& process = DefaultProcess());
  static nlohmann::json DefaultProcess();

  // The fake runtime's record of a container or pod infra it knows.
  void WriteRuntimeRecord(const std::string& id, const std::string& status, int pid);
  // A file of the fake runtime's record (see the script).
  std::string RuntimeFile(const std::string& id, const std::string& name) const;
  void SetRuntimeFlag(const std::string& id, const std::string& name,
                      const std::string& content = "");
  // Every call the fake runtime answered, "verb args...", in order.
  std::vector<std::string> RuntimeCalls() const;
  // The calls whose line starts with `prefix`.
  std::vector<std::string> RuntimeCallsStartingWith(const std::string& prefix) const;

  std::string dir_;      // everything of this test
  std::string runtime_;  // the fake runtime's path
  std::string runtime_root_;
  config::Config config_;
  std::unique_ptr<Server> server_;
};

}  // namespace berth::daemon::testing
