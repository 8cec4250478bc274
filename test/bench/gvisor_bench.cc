// gVisor (runsc) against runc through the same berthd, in the same run:
//   - RunPodSandbox, CreateContainer+StartContainer, ExecSync of `true`,
//     StopContainer, RemoveContainer, and StopPodSandbox+RemovePodSandbox,
//     --runs times per runtime handler, alternating runc and runsc so that
//     both see the same machine;
//   - the memory of --idle idle runsc pods (one sleeping container each):
//     the sum over each pod's processes (gVisor's sandbox and gofers, conmon,
//     berth-gvisor-shim starters), as RSS and as PSS (shared pages divided
//     among their users: the fairer figure per pod). For runc the same match
//     finds the conmons alone (runc's container processes do not name the
//     IDs), so its line is berth's own overhead per pod, not the workload's.
//
//   gvisor_bench [--endpoint unix:///...] [--image REF] [--runs 10] [--idle 5]
// --image defaults to $BERTH_BENCH_REGISTRY/berth-test/busybox:latest. berthd
// must have runtimes named runc and runsc (hack/bench.sh configures both
// when /usr/bin/runsc exists). Pods carry io.berth.bench.run=<tag> and are
// removed at the end, also after a failure.
#include <unistd.h>

#include <fstream>
#include <map>
#include <set>

#include "test/bench/bench_util.h"
#include "test/bench/cri_bench_client.h"
#include "test/bench/proc_memory.h"

namespace {

namespace bench = berth::bench;
namespace rt = runtime::v1;
using bench::BenchError;
using bench::Latencies;

// Ends at once on SIGTERM (Stop measures the runtime path, not a timeout):
// the shell waits in `wait`, which a trapped signal interrupts.
constexpr char kSleeper[] = "trap 'exit 0' TERM; while :; do sleep 1 & wait $!; done";

struct Memory {
  int processes = 0;
  long rss_kb = 0;
  long pss_kb = 0;
};

// Every process whose command line names one of `ids` (conmon's --cid, the
// bundle paths runsc's sandbox, gofer and the shim carry).
Memory MemoryOf(const std::set<std::string>& ids) {
  Memory m;
  for (const std::string& pid : bench::ProcessIds()) {
    std::ifstream in("/proc/" + pid + "/cmdline");
    std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    bool ours = false;
    for (const auto& id : ids) ours = ours || cmdline.find(id) != std::string::npos;
    if (!ours) continue;
    long rss = bench::ProcKb("/proc/" + pid + "/status", "VmRSS");
    long pss = bench::ProcKb("/proc/" + pid + "/smaps_rollup", "Pss");
    if (rss < 0) continue;
    ++m.processes;
    m.rss_kb += rss;
    m.pss_kb += pss > 0 ? pss : 0;
  }
  return m;
}

class GvisorBench {
 public:
  GvisorBench(const std::shared_ptr<grpc::Channel>& channel, std::string image)
      : cri_(channel, std::move(image), "gbench") {}

  void PullImage() { cri_.PullImage(); }

  // One pod with one container, through its whole life, timed step by step.
  void Cycle(const std::string& handler, int n) {
    Steps& s = steps_[handler];
    std::string pod, ctr;
    s.run.Measure([&] { pod = RunPod(handler, handler + "-" + std::to_string(n)); });
    s.create_start.Measure([&] { ctr = StartSleeper(pod); });
    s.exec.Measure([&] { cri_.ExecSyncTrue(ctr); });
    s.stop.Measure([&] { cri_.StopContainer(ctr, 10); });
    s.remove.Measure([&] { cri_.RemoveContainer(ctr); });
    s.pod_remove.Measure([&] { RemovePod(pod); });
  }

  void PrintLatencies() {
    for (auto& [handler, s] : steps_) {
      s.run.Print(handler + " RunPodSandbox");
      s.create_start.Print(handler + " CreateContainer+Start");
      s.exec.Print(handler + " ExecSync true");
      s.stop.Print(handler + " StopContainer");
      s.remove.Print(handler + " RemoveContainer");
      s.pod_remove.Print(handler + " StopPodSandbox+Remove");
    }
  }

  // `count` idle pods under `handler`; their processes' memory per pod.
  void IdleMemory(const std::string& handler, int count) {
    std::set<std::string> ids;
    std::vector<std::string> pods;
    for (int i = 0; i < count; ++i) {
      std::string pod = RunPod(handler, handler + "-idle-" + std::to_string(i));
      pods.push_back(pod);
      ids.insert(pod);
      ids.insert(StartSleeper(pod));
    }
    // Let start-up allocations settle (a figure, not a synchronisation).
    sleep(3);
    Memory m = MemoryOf(ids);
    std::printf("%-40s pods=%-3d processes=%-4d RSS/pod=%8.1f MiB  PSS/pod=%8.1f MiB\n",
                (handler + " idle pod memory").c_str(), count, m.processes,
                m.rss_kb / 1024.0 / count, m.pss_kb / 1024.0 / count);
    for (const auto& pod : pods) RemovePod(pod);
  }

 private:
  struct Steps {
    Latencies run, create_start, exec, stop, remove, pod_remove;
  };

  // A pod on `handler` named `name` in namespace gvisor-bench, logging to /tmp.
  std::string RunPod(const std::string& handler, const std::string& name) {
    rt::RunPodSandboxRequest req = cri_.PodRequest(name, false);
    req.set_runtime_handler(handler);
    rt::PodSandboxConfig* c = req.mutable_config();
    c->mutable_metadata()->set_name(name);
    c->mutable_metadata()->set_namespace_("gvisor-bench");
    c->set_log_directory("/tmp");
    const std::string id = cri_.RunPod(req, "run pod " + name + " on " + handler);
    configs_[id] = *c;
    return id;
  }

  std::string StartSleeper(const std::string& pod) {
    rt::CreateContainerRequest req =
        cri_.ContainerRequest(pod, "sleeper", {"/bin/sh", "-c", kSleeper});
    *req.mutable_sandbox_config() = configs_[pod];
    return cri_.StartedContainer(req);
  }

  void RemovePod(const std::string& pod) {
    cri_.RemovePod(pod);
    configs_.erase(pod);
  }

  bench::BenchClient cri_;  // its destructor removes every pod the bench made
  std::map<std::string, rt::PodSandboxConfig> configs_;
  std::map<std::string, Steps> steps_;
};

}  // namespace

int main(int argc, char** argv) {
  const std::string endpoint = bench::EndpointFromArgs(argc, argv);
  const std::string image = bench::Flag(argc, argv, "image", bench::DefaultBusyboxImage());
  const int runs = std::stoi(bench::Flag(argc, argv, "runs", "10"));
  const int idle = std::stoi(bench::Flag(argc, argv, "idle", "5"));
  try {
    GvisorBench bench(grpc::CreateChannel(endpoint, grpc::InsecureChannelCredentials()), image);
    bench.PullImage();
    for (int i = 0; i < runs; ++i) {
      for (const char* handler : {"runc", "runsc"}) bench.Cycle(handler, i);
    }
    bench.PrintLatencies();
    for (const char* handler : {"runc", "runsc"}) bench.IdleMemory(handler, idle);
  } catch (const BenchError& e) {
    std::fprintf(stderr, "gvisor_bench: %s\n", e.what.c_str());
    return 1;
  }
  return 0;
}
