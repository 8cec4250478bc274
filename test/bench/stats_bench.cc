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
#include <cstdio>
#include <string>

#include "test/bench/bench_util.h"
#include "test/bench/cri_bench_client.h"

namespace {

namespace bench = berth::bench;
namespace rt = runtime::v1;
using bench::BenchError;
using bench::Latencies;

class StatsBench {
 public:
  StatsBench(const std::shared_ptr<grpc::Channel>& channel, std::string image)
      : cri_(channel, std::move(image), "sbench") {}

  // `pods` x `per_pod` running containers.
  void Populate(int pods, int per_pod) {
    cri_.PullImage();
    for (int p = 0; p < pods; ++p) {
      const std::string pod = cri_.RunPod("p" + std::to_string(p));
      for (int c = 0; c < per_pod; ++c) {
        first_container_ = cri_.StartedContainer(
            cri_.ContainerRequest(pod, "c" + std::to_string(c), {"/bin/sleep", "3600"}));
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
      (*lreq.mutable_filter()->mutable_label_selector())[bench::kRunLabel] = cri_.tag();
      rt::ListContainerStatsResponse lresp;
      list.MeasureCall("ListContainerStats", [&] {
        return cri_.runtime().ListContainerStats(bench::Ctx().get(), lreq, &lresp);
      });
      containers = lresp.stats_size();

      rt::ListPodSandboxStatsRequest preq;
      (*preq.mutable_filter()->mutable_label_selector())[bench::kRunLabel] = cri_.tag();
      rt::ListPodSandboxStatsResponse presp;
      pods.MeasureCall("ListPodSandboxStats", [&] {
        return cri_.runtime().ListPodSandboxStats(bench::Ctx().get(), preq, &presp);
      });
      pod_count = presp.stats_size();

      rt::ContainerStatsRequest creq;
      creq.set_container_id(first_container_);
      rt::ContainerStatsResponse cresp;
      one.MeasureCall("ContainerStats", [&] {
        return cri_.runtime().ContainerStats(bench::Ctx().get(), creq, &cresp);
      });
    }
    list.Print("ListContainerStats (" + std::to_string(containers) + " running)");
    pods.Print("ListPodSandboxStats (" + std::to_string(pod_count) + " pods)");
    one.Print("ContainerStats (one container)");
  }

 private:
  bench::BenchClient cri_;  // its destructor removes every pod the bench made
  std::string first_container_;
};

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  const std::string endpoint = bench::EndpointFromArgs(argc, argv);
  const std::string image = bench::Flag(argc, argv, "image", bench::DefaultBusyboxImage());
  const int pods = std::stoi(bench::Flag(argc, argv, "pods", "10"));
  const int per_pod = std::stoi(bench::Flag(argc, argv, "per-pod", "10"));
  const int calls = std::stoi(bench::Flag(argc, argv, "calls", "100"));

  auto channel = bench::ConnectedChannel(endpoint);
  if (!channel) return 1;
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
