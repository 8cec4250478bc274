// list_bench: what ListContainers and ListPodSandbox cost a CRI daemon with
// the objects it has now, for profiling one daemon binary against another on
// the same state (berth-bench's list scenario makes and removes its own).
// Per call, each RPC alone back to back and then the two alternating (as
// berth-bench and a kubelet call them): the daemon's CPU time per call
// (--pid), the client's median and p90 wall time, the answer's size.
//
//   list_bench [--endpoint unix:///...] [--pid PID (or $BERTH_PID)] [--calls 1000]
//              [--runs containers,pods,pair] [--populate PODS --per-pod N [--image REF]]
// --runs picks the runs: ListContainers alone, ListPodSandbox alone, the two
// alternating (all three by default; one alone suits `perf record`).
// --populate first runs PODS pods (host network) with N created containers
// each, labelled io.berth.bench.list=kept, and leaves them for later runs
// (crictl rmp -fa removes them).
#include <cstdio>
#include <cstdlib>

#include "test/bench/bench_util.h"
#include "test/bench/cri_bench_client.h"
#include "test/bench/figure_report.h"
#include "test/bench/list_call_cost.h"
#include "test/bench/parallel_for.h"

namespace {

namespace bench = berth::bench;
namespace rt = runtime::v1;

void Populate(rt::RuntimeService::Stub& runtime, rt::ImageService::Stub& images,
              const std::string& image, int pods, int per_pod) {
  rt::PullImageRequest pull;
  pull.mutable_image()->set_image(image);
  rt::PullImageResponse pulled;
  bench::Check(images.PullImage(bench::Ctx(std::chrono::seconds(300)).get(), pull, &pulled),
               "pull " + image);
  for (int p = 0; p < pods; ++p) {
    rt::RunPodSandboxRequest run;
    rt::PodSandboxConfig* pod = run.mutable_config();
    pod->mutable_metadata()->set_name("list-kept-" + std::to_string(p));
    pod->mutable_metadata()->set_namespace_("bench");
    pod->mutable_metadata()->set_uid("list-kept-" + std::to_string(p));
    (*pod->mutable_labels())["io.berth.bench.list"] = "kept";
    pod->mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_network(
        rt::NODE);
    rt::RunPodSandboxResponse ran;
    bench::Check(runtime.RunPodSandbox(bench::Ctx(std::chrono::seconds(120)).get(), run, &ran),
                 "RunPodSandbox " + pod->metadata().name());
    bench::ParallelFor(per_pod, 4, [&](int i) {
      rt::CreateContainerRequest create;
      create.set_pod_sandbox_id(ran.pod_sandbox_id());
      *create.mutable_sandbox_config() = *pod;
      rt::ContainerConfig* c = create.mutable_config();
      c->mutable_metadata()->set_name("l" + std::to_string(i));
      c->mutable_image()->set_image(image);
      c->add_command("/bin/sleep");
      c->add_command("3600");
      (*c->mutable_labels())["io.berth.bench.list"] = "kept";
      rt::CreateContainerResponse created;
      bench::Check(
          runtime.CreateContainer(bench::Ctx(std::chrono::seconds(120)).get(), create, &created),
          "CreateContainer " + c->metadata().name());
    });
  }
}

void Report(bench::FigureReport& report, const std::string& what, const bench::ListCallCost& c) {
  report.Add(what + " daemon CPU per call", c.daemon_cpu_ms_per_call, "ms");
  report.Add(what + " median", c.median_ms, "ms");
  report.Add(what + " p90", c.p90_ms, "ms");
  report.Add(what + " answer", static_cast<double>(c.answer_bytes), "bytes");
  report.Add(what + " items", c.items, "");
}

}  // namespace

int main(int argc, char** argv) {
  bench::StopOnSignals();
  auto channel = bench::ConnectedChannel(bench::EndpointFromArgs(argc, argv));
  if (!channel) return 1;
  auto runtime = rt::RuntimeService::NewStub(channel);
  auto images = rt::ImageService::NewStub(channel);
  const char* env_pid = std::getenv("BERTH_PID");  // hack/bench.sh's private berthd
  const std::string pid = bench::Flag(argc, argv, "pid", env_pid ? env_pid : "");
  const int calls = std::stoi(bench::Flag(argc, argv, "calls", "1000"));
  const int populate = std::stoi(bench::Flag(argc, argv, "populate", "0"));
  const int per_pod = std::stoi(bench::Flag(argc, argv, "per-pod", "100"));
  const std::string runs = bench::Flag(argc, argv, "runs", "containers,pods,pair");
  const std::string image = bench::Flag(argc, argv, "image", bench::DefaultBusyboxImage());
  bench::FigureReport report("");
  try {
    if (populate > 0) Populate(*runtime, *images, image, populate, per_pod);
    if (runs.find("containers") != std::string::npos) {
      Report(report, "ListContainers alone", bench::MeasureListContainers(calls, pid, *runtime));
    }
    if (runs.find("pods") != std::string::npos) {
      Report(report, "ListPodSandbox alone", bench::MeasureListPodSandbox(calls, pid, *runtime));
    }
    if (runs.find("pair") == std::string::npos) return 0;
    // Alternating, as berth-bench times them: each ListPodSandbox comes right
    // after a large answer. Its own wall time is kept apart.
    std::vector<double> pods_after_containers_ms;
    auto both = [&] {
      bench::ListAllContainers(*runtime);
      const auto start = std::chrono::steady_clock::now();
      auto resp = bench::ListAllPodSandboxes(*runtime);
      pods_after_containers_ms.push_back(
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
              .count());
      return resp;
    };
    Report(report, "ListContainers+ListPodSandbox pair",
           bench::MeasureListCalls(calls, pid, both, [](const rt::ListPodSandboxResponse& r) {
             return r.items_size();
           }));
    report.Add("ListPodSandbox after ListContainers median",
               bench::Quantile(pods_after_containers_ms, 0.5), "ms");
  } catch (const bench::BenchError& e) {
    std::fprintf(stderr, "list_bench: %s\n", e.what.c_str());
    return 1;
  }
  return 0;
}
