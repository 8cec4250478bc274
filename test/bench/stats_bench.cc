// Stats latencies against any CRI endpoint: ListContainerStats with
// --pods x --per-pod running containers (a `sleep` each, in host-network
// pods), ListPodSandboxStats over those pods and ContainerStats of one
// container, each over --calls calls. berth's target: ListContainerStats of
// 100 containers within 10 ms.
//
//   stats_bench [--endpoint unix:///...] [--image REF] [--pods 10] [--per-pod 10] [--calls 100]
//
// --image defaults to $BERTH_BENCH_REGISTRY/berth-test/busybox:latest. Every
// pod carries the label io.berth.bench.run=<tag> and is removed at the end,
// also after a failure.
#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "runtime/v1/api.grpc.pb.h"
#include "test/bench/bench_util.h"

namespace {

namespace rt = runtime::v1;
using berth::bench::Latencies;

constexpr char kRunLabel[] = "io.berth.bench.run";

std::string Flag(int argc, char** argv, const std::string& name, const std::string& def) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (argv[i] == "--" + name) return argv[i + 1];
  }
  return def;
}

std::unique_ptr<grpc::ClientContext> Ctx(int seconds = 120) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
  return ctx;
}

struct BenchError {
  std::string what;
};

void Check(const grpc::Status& s, const std::string& what) {
  if (!s.ok()) throw BenchError{what + ": " + s.error_message()};
}

class StatsBench {
 public:
  StatsBench(const std::shared_ptr<grpc::Channel>& channel, std::string image)
      : runtime_(rt::RuntimeService::NewStub(channel)),
        images_(rt::ImageService::NewStub(channel)),
        image_(std::move(image)),
        tag_("sbench" + std::to_string(getpid())) {}
  ~StatsBench() { Cleanup(); }

  // `pods` x `per_pod` running containers.
  void Populate(int pods, int per_pod) {
    rt::PullImageRequest pull;
    pull.mutable_image()->set_image(image_);
    rt::PullImageResponse pulled;
    Check(images_->PullImage(Ctx(300).get(), pull, &pulled), "pull " + image_);
    for (int p = 0; p < pods; ++p) {
      const std::string pod = RunPod("p" + std::to_string(p));
      for (int c = 0; c < per_pod; ++c) {
        first_container_ = StartSleep(pod, "c" + std::to_string(c));
      }
    }
  }

  // The three calls take turns, so that each sees the same load (the
  // containers just started, other work on the node).
  void Measure(int calls) {
    Latencies list, pods, one;
    int containers = 0, pod_count = 0;
    for (int i = 0; i < calls; ++i) {
      rt::ListContainerStatsRequest lreq;
      (*lreq.mutable_filter()->mutable_label_selector())[kRunLabel] = tag_;
      rt::ListContainerStatsResponse lresp;
      grpc::Status s;
      list.Measure([&] { s = runtime_->ListContainerStats(Ctx().get(), lreq, &lresp); });
      Check(s, "ListContainerStats");
      containers = lresp.stats_size();

      rt::ListPodSandboxStatsRequest preq;
      (*preq.mutable_filter()->mutable_label_selector())[kRunLabel] = tag_;
      rt::ListPodSandboxStatsResponse presp;
      pods.Measure([&] { s = runtime_->ListPodSandboxStats(Ctx().get(), preq, &presp); });
      Check(s, "ListPodSandboxStats");
      pod_count = presp.stats_size();

      rt::ContainerStatsRequest creq;
      creq.set_container_id(first_container_);
      rt::ContainerStatsResponse cresp;
      one.Measure([&] { s = runtime_->ContainerStats(Ctx().get(), creq, &cresp); });
      Check(s, "ContainerStats");
    }
    list.Print("ListContainerStats (" + std::to_string(containers) + " running)");
    pods.Print("ListPodSandboxStats (" + std::to_string(pod_count) + " pods)");
    one.Print("ContainerStats (one container)");
  }

 private:
  std::string RunPod(const std::string& name) {
    rt::RunPodSandboxRequest req;
    rt::PodSandboxConfig* c = req.mutable_config();
    c->mutable_metadata()->set_name(tag_ + "-" + name);
    c->mutable_metadata()->set_namespace_("bench");
    c->mutable_metadata()->set_uid(tag_ + "-" + name);
    (*c->mutable_labels())[kRunLabel] = tag_;
    c->mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_network(
        rt::NODE);
    rt::RunPodSandboxResponse resp;
    Check(runtime_->RunPodSandbox(Ctx().get(), req, &resp), "RunPodSandbox " + name);
    return resp.pod_sandbox_id();
  }

  std::string StartSleep(const std::string& pod, const std::string& name) {
    rt::CreateContainerRequest req;
    req.set_pod_sandbox_id(pod);
    rt::ContainerConfig* c = req.mutable_config();
    c->mutable_metadata()->set_name(name);
    c->mutable_image()->set_image(image_);
    c->add_command("/bin/sleep");
    c->add_command("3600");
    (*c->mutable_labels())[kRunLabel] = tag_;
    rt::CreateContainerResponse created;
    Check(runtime_->CreateContainer(Ctx().get(), req, &created), "CreateContainer " + name);
    rt::StartContainerRequest start;
    start.set_container_id(created.container_id());
    rt::StartContainerResponse started;
    Check(runtime_->StartContainer(Ctx().get(), start, &started), "StartContainer " + name);
    return created.container_id();
  }

  void Cleanup() {
    rt::ListPodSandboxRequest req;
    (*req.mutable_filter()->mutable_label_selector())[kRunLabel] = tag_;
    rt::ListPodSandboxResponse resp;
    if (!runtime_->ListPodSandbox(Ctx().get(), req, &resp).ok()) return;
    for (const auto& p : resp.items()) {
      rt::RemovePodSandboxRequest rm;
      rm.set_pod_sandbox_id(p.id());
      rt::RemovePodSandboxResponse removed;
      grpc::Status s = runtime_->RemovePodSandbox(Ctx(600).get(), rm, &removed);
      if (!s.ok())
        std::fprintf(stderr, "cleanup %s: %s\n", p.id().c_str(), s.error_message().c_str());
    }
  }

  std::unique_ptr<rt::RuntimeService::Stub> runtime_;
  std::unique_ptr<rt::ImageService::Stub> images_;
  const std::string image_, tag_;
  std::string first_container_;
};

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  const std::string endpoint = berth::bench::EndpointFromArgs(argc, argv);
  const char* registry = std::getenv("BERTH_BENCH_REGISTRY");
  const std::string image =
      Flag(argc, argv, "image",
           std::string(registry ? registry : "127.0.0.1:5000") + "/berth-test/busybox:latest");
  const int pods = std::stoi(Flag(argc, argv, "pods", "10"));
  const int per_pod = std::stoi(Flag(argc, argv, "per-pod", "10"));
  const int calls = std::stoi(Flag(argc, argv, "calls", "100"));

  auto channel = grpc::CreateChannel(endpoint, grpc::InsecureChannelCredentials());
  if (!channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(10))) {
    std::fprintf(stderr, "cannot connect to %s\n", endpoint.c_str());
    return 1;
  }
  StatsBench bench(channel, image);  // its destructor removes every pod it made
  try {
    bench.Populate(pods, per_pod);
    bench.Measure(calls);
  } catch (const BenchError& e) {
    std::fprintf(stderr, "stats_bench: %s\n", e.what.c_str());
    return 1;
  }
  return 0;
}
