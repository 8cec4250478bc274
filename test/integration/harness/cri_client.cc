#include "test/integration/harness/cri_client.h"

namespace berth::testing {

namespace {

// Removals and stops may wait for a container's grace period and runtime.
constexpr std::chrono::seconds kTeardownTimeout(60);

// One unary call of `stub` with a deadline `timeout` from now.
template <typename Stub, typename Request, typename Response>
Reply<Response> Call(Stub& stub,
                     grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
                     const Request& req, std::chrono::seconds timeout = std::chrono::seconds(30)) {
  Reply<Response> r;
  r.status = (stub.*method)(Ctx(timeout).get(), req, &r.response);
  return r;
}

using Runtime = rt::RuntimeService::Stub;

}  // namespace

void CriClient::Saw(const std::string& id) {
  if (id.empty()) return;
  std::lock_guard<std::mutex> l(mu_);
  seen_.insert(id);
}

std::set<std::string> CriClient::SeenIds() const {
  std::lock_guard<std::mutex> l(mu_);
  return seen_;
}

Reply<rt::RunPodSandboxResponse> CriClient::RunPod(const rt::PodSandboxConfig& config,
                                                   const std::string& handler,
                                                   std::chrono::seconds timeout) {
  rt::RunPodSandboxRequest req;
  *req.mutable_config() = config;
  req.set_runtime_handler(handler);
  auto r = Call(d_.runtime(), &Runtime::RunPodSandbox, req, timeout);
  Saw(r.response.pod_sandbox_id());
  return r;
}

Reply<rt::PodSandboxStatusResponse> CriClient::PodStatus(const std::string& id, bool verbose) {
  rt::PodSandboxStatusRequest req;
  req.set_pod_sandbox_id(id);
  req.set_verbose(verbose);
  return Call(d_.runtime(), &Runtime::PodSandboxStatus, req);
}

grpc::Status CriClient::StopPod(const std::string& id) {
  rt::StopPodSandboxRequest req;
  req.set_pod_sandbox_id(id);
  return Call(d_.runtime(), &Runtime::StopPodSandbox, req, kTeardownTimeout).status;
}

grpc::Status CriClient::RemovePod(const std::string& id) {
  rt::RemovePodSandboxRequest req;
  req.set_pod_sandbox_id(id);
  return Call(d_.runtime(), &Runtime::RemovePodSandbox, req, kTeardownTimeout).status;
}

Reply<rt::ListPodSandboxResponse> CriClient::ListPods(const rt::PodSandboxFilter& filter) {
  rt::ListPodSandboxRequest req;
  *req.mutable_filter() = filter;
  auto r = Call(d_.runtime(), &Runtime::ListPodSandbox, req);
  for (const auto& p : r.response.items()) Saw(p.id());
  return r;
}

Reply<rt::CreateContainerResponse> CriClient::CreateContainer(const std::string& pod,
                                                              const rt::ContainerConfig& config,
                                                              std::chrono::seconds timeout) {
  rt::CreateContainerRequest req;
  req.set_pod_sandbox_id(pod);
  *req.mutable_config() = config;
  auto r = Call(d_.runtime(), &Runtime::CreateContainer, req, timeout);
  Saw(r.response.container_id());
  return r;
}

grpc::Status CriClient::StartContainer(const std::string& id) {
  rt::StartContainerRequest req;
  req.set_container_id(id);
  return Call(d_.runtime(), &Runtime::StartContainer, req, kTeardownTimeout).status;
}

grpc::Status CriClient::StopContainer(const std::string& id, int64_t timeout_s) {
  rt::StopContainerRequest req;
  req.set_container_id(id);
  req.set_timeout(timeout_s);
  return Call(d_.runtime(), &Runtime::StopContainer, req,
              std::chrono::seconds(timeout_s) + kTeardownTimeout)
      .status;
}

grpc::Status CriClient::RemoveContainer(const std::string& id) {
  rt::RemoveContainerRequest req;
  req.set_container_id(id);
  return Call(d_.runtime(), &Runtime::RemoveContainer, req, kTeardownTimeout).status;
}

Reply<rt::ContainerStatusResponse> CriClient::ContainerStatus(const std::string& id, bool verbose) {
  rt::ContainerStatusRequest req;
  req.set_container_id(id);
  req.set_verbose(verbose);
  return Call(d_.runtime(), &Runtime::ContainerStatus, req);
}

Reply<rt::ListContainersResponse> CriClient::ListContainers(const rt::ContainerFilter& filter) {
  rt::ListContainersRequest req;
  *req.mutable_filter() = filter;
  auto r = Call(d_.runtime(), &Runtime::ListContainers, req);
  for (const auto& c : r.response.containers()) Saw(c.id());
  return r;
}

Reply<rt::ExecSyncResponse> CriClient::ExecSync(const std::string& id,
                                                const std::vector<std::string>& cmd,
                                                int64_t timeout_s) {
  rt::ExecSyncRequest req;
  req.set_container_id(id);
  for (const auto& a : cmd) req.add_cmd(a);
  req.set_timeout(timeout_s);
  // The call's own deadline leaves room past the exec's timeout for the answer.
  return Call(d_.runtime(), &Runtime::ExecSync, req, std::chrono::seconds(timeout_s + 40));
}

Reply<rt::PullImageResponse> CriClient::PullImage(const std::string& ref) {
  rt::PullImageRequest req;
  req.mutable_image()->set_image(ref);
  return Call(d_.image(), &rt::ImageService::Stub::PullImage, req, std::chrono::seconds(120));
}

}  // namespace berth::testing
