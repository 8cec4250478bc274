// The CRI client the benchmarks share: the runtime and image stubs, a run tag
// that labels every pod and container the bench makes, an optional log
// directory of its own, and the calls that set pods and containers up and tear
// them down. A failed call throws BenchError naming the call and its object.
#pragma once

#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "runtime/v1/api.grpc.pb.h"
#include "test/bench/bench_util.h"

namespace berth::bench {

namespace rt = runtime::v1;

// Every pod and container of a run carries kRunLabel=<tag>, so that cleanup
// finds them whatever state a failure left them in.
constexpr char kRunLabel[] = "io.berth.bench.run";

inline void Check(const grpc::Status& s, const std::string& what) {
  if (!s.ok()) throw BenchError{what + ": " + s.error_message()};
}

inline std::unique_ptr<grpc::ClientContext> Ctx(
    std::chrono::seconds timeout = std::chrono::seconds(60)) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + timeout);
  return ctx;
}

// The test registry's busybox: $BERTH_BENCH_REGISTRY (hack/bench.sh starts it),
// else the registry's default address.
inline std::string DefaultBusyboxImage() {
  const char* registry = std::getenv("BERTH_BENCH_REGISTRY");
  return std::string(registry ? registry : "127.0.0.1:5000") + "/berth-test/busybox:latest";
}

// A channel to `endpoint` once connected; null (said on stderr) after 10 s without.
inline std::shared_ptr<grpc::Channel> ConnectedChannel(const std::string& endpoint) {
  auto channel = grpc::CreateChannel(endpoint, grpc::InsecureChannelCredentials());
  if (!channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(10))) {
    std::fprintf(stderr, "cannot connect to %s\n", endpoint.c_str());
    return nullptr;
  }
  return channel;
}

class BenchClient {
 public:
  // The run tag is `tag_prefix` and this process's pid. With a `log_dir_template`
  // ("/tmp/...-XXXXXX") pods log below a directory made from it and removed at
  // the end, and containers get a log path; without one, neither is set.
  BenchClient(const std::shared_ptr<grpc::Channel>& channel, std::string image,
              const std::string& tag_prefix, std::string log_dir_template = "")
      : runtime_(rt::RuntimeService::NewStub(channel)),
        images_(rt::ImageService::NewStub(channel)),
        image_(std::move(image)),
        tag_(tag_prefix + std::to_string(getpid())) {
    if (!log_dir_template.empty() && mkdtemp(log_dir_template.data())) log_dir_ = log_dir_template;
  }
  ~BenchClient() {
    Cleanup();
    std::error_code ec;
    if (!log_dir_.empty()) std::filesystem::remove_all(log_dir_, ec);
  }
  BenchClient(const BenchClient&) = delete;
  BenchClient& operator=(const BenchClient&) = delete;

  rt::RuntimeService::Stub& runtime() { return *runtime_; }
  const std::string& tag() const { return tag_; }

  void PullImage() { PullImage(image_); }

  // Pulls `ref`; returns the image reference the runtime answers.
  std::string PullImage(const std::string& ref) {
    rt::PullImageRequest req;
    req.mutable_image()->set_image(ref);
    rt::PullImageResponse resp;
    Check(images_->PullImage(Ctx(std::chrono::seconds(300)).get(), req, &resp), "pull " + ref);
    return resp.image_ref();
  }

  // Removes `ref`; the CRI makes removing an absent image a success.
  void RemoveImage(const std::string& ref) {
    rt::RemoveImageRequest req;
    req.mutable_image()->set_image(ref);
    rt::RemoveImageResponse resp;
    Check(images_->RemoveImage(Ctx().get(), req, &resp), "RemoveImage " + ref);
  }

  // A pod "<tag>-<name>" in namespace "bench", labelled with the run tag.
  rt::RunPodSandboxRequest PodRequest(const std::string& name, bool host_network) const {
    rt::RunPodSandboxRequest req;
    rt::PodSandboxConfig* c = req.mutable_config();
    c->mutable_metadata()->set_name(tag_ + "-" + name);
    c->mutable_metadata()->set_namespace_("bench");
    c->mutable_metadata()->set_uid(tag_ + "-" + name);
    if (!log_dir_.empty()) c->set_log_directory(log_dir_ + "/" + name);
    (*c->mutable_labels())[kRunLabel] = tag_;
    if (host_network) {
      c->mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_network(
          rt::NODE);
    }
    return req;
  }

  std::string RunPod(const rt::RunPodSandboxRequest& req, const std::string& what) {
    rt::RunPodSandboxResponse resp;
    Check(runtime_->RunPodSandbox(Ctx(std::chrono::seconds(120)).get(), req, &resp), what);
    std::lock_guard<std::mutex> l(pod_configs_mu_);
    pod_configs_[resp.pod_sandbox_id()] = req.config();
    return resp.pod_sandbox_id();
  }

  std::string RunPod(const std::string& name, bool host_network = true) {
    return RunPod(PodRequest(name, host_network), "RunPodSandbox " + name);
  }

  // StopPodSandbox and RemovePodSandbox; a pod of 100 containers takes its time.
  void RemovePod(const std::string& id) {
    StopPod(id);
    RemoveStoppedPod(id);
  }

  void StopPod(const std::string& id) {
    rt::StopPodSandboxRequest req;
    req.set_pod_sandbox_id(id);
    rt::StopPodSandboxResponse resp;
    Check(runtime_->StopPodSandbox(Ctx(std::chrono::seconds(600)).get(), req, &resp),
          "StopPodSandbox " + id);
  }

  void RemoveStoppedPod(const std::string& id) {
    rt::RemovePodSandboxRequest req;
    req.set_pod_sandbox_id(id);
    rt::RemovePodSandboxResponse resp;
    Check(runtime_->RemovePodSandbox(Ctx(std::chrono::seconds(600)).get(), req, &resp),
          "RemovePodSandbox " + id);
  }

  // A container `name` of the bench's image running `cmd`, labelled with the run
  // tag, with its pod's config as a kubelet sends it (containerd 1.6 reads the
  // pod's name and log directory from it and crashes without one).
  rt::CreateContainerRequest ContainerRequest(const std::string& pod, const std::string& name,
                                              const std::vector<std::string>& cmd) const {
    rt::CreateContainerRequest req;
    req.set_pod_sandbox_id(pod);
    rt::ContainerConfig* c = req.mutable_config();
    c->mutable_metadata()->set_name(name);
    c->mutable_image()->set_image(image_);
    for (const auto& a : cmd) c->add_command(a);
    if (!log_dir_.empty()) c->set_log_path(name + ".log");
    (*c->mutable_labels())[kRunLabel] = tag_;
    std::lock_guard<std::mutex> l(pod_configs_mu_);
    if (auto it = pod_configs_.find(pod); it != pod_configs_.end()) {
      *req.mutable_sandbox_config() = it->second;
    }
    return req;
  }

  std::string CreateContainer(const rt::CreateContainerRequest& req) {
    rt::CreateContainerResponse resp;
    Check(runtime_->CreateContainer(Ctx(std::chrono::seconds(120)).get(), req, &resp),
          "CreateContainer " + req.config().metadata().name());
    return resp.container_id();
  }

  std::string CreateContainer(const std::string& pod, const std::string& name,
                              const std::vector<std::string>& cmd) {
    return CreateContainer(ContainerRequest(pod, name, cmd));
  }

  void StartContainer(const std::string& id) {
    rt::StartContainerRequest req;
    req.set_container_id(id);
    rt::StartContainerResponse resp;
    Check(runtime_->StartContainer(Ctx(std::chrono::seconds(120)).get(), req, &resp),
          "StartContainer " + id);
  }

  // Created and started; returns its ID.
  std::string StartedContainer(const rt::CreateContainerRequest& req) {
    std::string id = CreateContainer(req);
    StartContainer(id);
    return id;
  }

  void StopContainer(const std::string& id, int64_t timeout_s) {
    rt::StopContainerRequest req;
    req.set_container_id(id);
    req.set_timeout(timeout_s);
    rt::StopContainerResponse resp;
    Check(runtime_->StopContainer(Ctx(std::chrono::seconds(timeout_s + 60)).get(), req, &resp),
          "StopContainer " + id);
  }

  void RemoveContainer(const std::string& id) {
    rt::RemoveContainerRequest req;
    req.set_container_id(id);
    rt::RemoveContainerResponse resp;
    Check(runtime_->RemoveContainer(Ctx().get(), req, &resp), "RemoveContainer " + id);
  }

  rt::ContainerStatus ContainerStatus(const std::string& id) {
    rt::ContainerStatusRequest req;
    req.set_container_id(id);
    rt::ContainerStatusResponse resp;
    Check(runtime_->ContainerStatus(Ctx().get(), req, &resp), "ContainerStatus " + id);
    return resp.status();
  }

  // ExecSync of `true`, which must exit 0.
  void ExecSyncTrue(const std::string& id) {
    rt::ExecSyncRequest req;
    req.set_container_id(id);
    req.add_cmd("true");
    req.set_timeout(30);
    rt::ExecSyncResponse resp;
    Check(runtime_->ExecSync(Ctx().get(), req, &resp), "ExecSync true in " + id);
    if (resp.exit_code() != 0) {
      throw BenchError{"ExecSync true in " + id + " exited " + std::to_string(resp.exit_code())};
    }
  }

  // Removes every pod of this run (RemovePodSandbox stops and removes its
  // containers); says so when something could not be removed.
  void Cleanup() {
    rt::ListPodSandboxRequest req;
    (*req.mutable_filter()->mutable_label_selector())[kRunLabel] = tag_;
    rt::ListPodSandboxResponse resp;
    grpc::Status s = runtime_->ListPodSandbox(Ctx().get(), req, &resp);
    if (!s.ok()) {
      std::fprintf(stderr, "cleanup: cannot list pods: %s\n", s.error_message().c_str());
      return;
    }
    for (const auto& p : resp.items()) {
      try {
        RemovePod(p.id());
      } catch (const BenchError& e) {
        std::fprintf(stderr, "cleanup: %s\n", e.what.c_str());
      }
    }
    rt::ListContainersRequest creq;
    (*creq.mutable_filter()->mutable_label_selector())[kRunLabel] = tag_;
    rt::ListContainersResponse cresp;
    if (runtime_->ListContainers(Ctx().get(), creq, &cresp).ok() && cresp.containers_size() > 0) {
      std::fprintf(stderr, "cleanup: %d containers of this run are left\n",
                   cresp.containers_size());
    }
  }

 private:
  std::unique_ptr<rt::RuntimeService::Stub> runtime_;
  std::unique_ptr<rt::ImageService::Stub> images_;
  const std::string image_, tag_;
  std::string log_dir_;
  mutable std::mutex pod_configs_mu_;
  std::map<std::string, rt::PodSandboxConfig> pod_configs_;  // by pod ID; guarded by the mutex
};

}  // namespace berth::bench
