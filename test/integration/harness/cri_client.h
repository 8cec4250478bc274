// The typed CRI client of the integration tests: one method per call a test
// makes, each returning the response together with the grpc::Status, so a
// test asserts on either. Calls go to the BerthdProcess's current stubs, so
// a client outlives restarts. It remembers every pod and container ID berthd
// answered with (HostCensus looks for what is left of them).
#pragma once

#include <chrono>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "test/integration/harness/berthd_fixture.h"

namespace berth::testing {

namespace rt = runtime::v1;

template <typename Response>
struct Reply {
  grpc::Status status;
  Response response;
  bool ok() const { return status.ok(); }
};

class CriClient {
 public:
  explicit CriClient(BerthdProcess& d) : d_(d) {}

  Reply<rt::RunPodSandboxResponse> RunPod(const rt::PodSandboxConfig& config,
                                          const std::string& handler = "",
                                          std::chrono::seconds timeout = std::chrono::seconds(120));
  Reply<rt::PodSandboxStatusResponse> PodStatus(const std::string& id, bool verbose = false);
  grpc::Status StopPod(const std::string& id);
  grpc::Status RemovePod(const std::string& id);
  Reply<rt::ListPodSandboxResponse> ListPods(const rt::PodSandboxFilter& filter = {});

  Reply<rt::CreateContainerResponse> CreateContainer(
      const std::string& pod, const rt::ContainerConfig& config,
      std::chrono::seconds timeout = std::chrono::seconds(90));
  grpc::Status StartContainer(const std::string& id);
  grpc::Status StopContainer(const std::string& id, int64_t timeout_s);
  grpc::Status RemoveContainer(const std::string& id);
  Reply<rt::ContainerStatusResponse> ContainerStatus(const std::string& id, bool verbose = false);
  Reply<rt::ListContainersResponse> ListContainers(const rt::ContainerFilter& filter = {});
  Reply<rt::ExecSyncResponse> ExecSync(const std::string& id, const std::vector<std::string>& cmd,
                                       int64_t timeout_s = 20);

  Reply<rt::PullImageResponse> PullImage(const std::string& ref);

  // Every pod and container ID berthd named in an answer so far.
  std::set<std::string> SeenIds() const;

 private:
  void Saw(const std::string& id);

  BerthdProcess& d_;
  mutable std::mutex mu_;
  std::set<std::string> seen_;  // guarded by mu_
};

}  // namespace berth::testing
