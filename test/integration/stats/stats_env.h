// The stats integration tests' environment: a berthd whose disk sampler runs
// every second, pods on a private CNI bridge (sandbox_env.h's MakeNetwork),
// the busybox test image, and the CRI calls the tests make.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "test/integration/harness/berthd_fixture.h"
#include "test/integration/sandbox/sandbox_env.h"

namespace berth::testing {

class StatsTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // A pod on the test network; `cgroup_parent` "" uses berth's default.
  std::string RunPod(const std::string& name, const std::map<std::string, std::string>& labels = {},
                     const std::string& cgroup_parent = "");
  // A busybox container running `sh -c script`, labelled app=<name>.
  rt::ContainerConfig Config(const std::string& name, const std::string& script);
  std::string Create(const std::string& pod, const rt::ContainerConfig& c);
  std::string CreateAndStart(const std::string& pod, const rt::ContainerConfig& c);
  grpc::Status Exec(const std::string& id, const std::vector<std::string>& cmd,
                    rt::ExecSyncResponse* out);

  rt::ContainerStats ContainerStats(const std::string& id);
  std::vector<rt::ContainerStats> ListContainerStats(const rt::ContainerStatsFilter& f = {});
  rt::PodSandboxStats PodStats(const std::string& id);
  std::vector<rt::PodSandboxStats> ListPodStats(const rt::PodSandboxStatsFilter& f = {});

  std::string Gateway() const { return net_.subnet_prefix + "1"; }

  TempDir tmp_{"berth-stats-it"};
  TestNetwork net_;
  std::unique_ptr<BerthdProcess> d_;
  std::vector<std::string> own_cgroups_;  // pod cgroup parents to remove at the end
};

// The IDs in a list of container stats.
std::vector<std::string> IdsOf(const std::vector<rt::ContainerStats>& stats);
std::vector<std::string> IdsOf(const std::vector<rt::PodSandboxStats>& stats);

}  // namespace berth::testing
