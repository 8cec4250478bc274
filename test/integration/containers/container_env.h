// Shared by the container integration tests: a real berthd with the local
// test registry as a mirror, the busybox test image pulled, and short helpers
// for the CRI calls the tests make.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "test/integration/harness/berthd_fixture.h"
#include "test/integration/harness/cri_client.h"
#include "test/integration/harness/host_census.h"
#include "test/integration/harness/wait_for.h"

namespace berth::testing {

class ContainerTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // The busybox test image reference on the open registry.
  static std::string BusyboxRef();

  // A host-network pod named `name` (no CNI needed); returns its ID.
  std::string RunPod(const std::string& name, runtime::v1::PodSandboxConfig* config_out = nullptr,
                     bool privileged = false);
  // A container config running `cmd` from busybox, logging to <name>.log.
  runtime::v1::ContainerConfig Config(const std::string& name, std::vector<std::string> cmd);
  grpc::Status Create(const std::string& pod, const runtime::v1::ContainerConfig& c,
                      std::string* id);
  // Create + Start, asserting both succeed; returns the container ID.
  std::string CreateAndStart(const std::string& pod, const runtime::v1::ContainerConfig& c);
  grpc::Status Start(const std::string& id);
  grpc::Status Stop(const std::string& id, int64_t timeout_s);
  grpc::Status Remove(const std::string& id);
  runtime::v1::ContainerStatus Status(const std::string& id);
  // Waits (ContainerStatus polled against a deadline: the exit watcher has
  // no client-visible event) until the container has exited.
  runtime::v1::ContainerStatus WaitExited(const std::string& id,
                                          std::chrono::seconds timeout = std::chrono::seconds(30));
  grpc::Status Exec(const std::string& id, std::vector<std::string> cmd, int64_t timeout_s,
                    runtime::v1::ExecSyncResponse* out);
  // The container's CRI log, read whole.
  std::string LogOf(const std::string& name);
  // Only the message parts of the CRI log lines of `stream` ("stdout"/"stderr").
  std::string LogText(const std::string& name, const std::string& stream = "stdout");
  // Waits (polling the file against a deadline) until the log has `text`.
  void WaitForLog(const std::string& name, const std::string& text);
  // Nothing of the container is left wherever the host census looks
  // (harness/host_census.h): mounts, berthd's files, runtime state in
  // runtime_roots_, processes and cgroups naming its ID.
  void ExpectContainerGone(const std::string& id);

  // berthd's runtimes: runc alone, with its state in the test's directory
  // (so the census lists this test's runtime state only).
  std::string RuncRoot() const { return tmp_.Sub("runc-root"); }
  std::string RuncRuntimeYaml() const { return "runtimes: {runc: {root: " + RuncRoot() + "}}\n"; }

  std::string log_dir() const { return tmp_.Sub("logs"); }
  // A client of the current d_ (which subclasses may replace in SetUp).
  CriClient cri() { return CriClient(*d_); }

  TempDir tmp_{"berth-ctr-it"};
  std::unique_ptr<BerthdProcess> d_;
  // The state roots of d_'s runtimes (a subclass with more runtimes adds theirs).
  std::vector<std::string> runtime_roots_ = {RuncRoot()};
};

}  // namespace berth::testing
