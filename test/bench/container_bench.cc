// Container latencies and memory against any CRI endpoint:
//   - CreateContainer, StartContainer, StopContainer, RemoveContainer over
//     --runs runs (a `sleep` container in a host-network pod; the pod's PID
//     namespace is shared, so sleep is not PID 1 and SIGTERM ends it: Stop
//     measures the runtime path, never the stop timeout);
//   - ExecSync of `true` (--runs runs);
//   - ListContainers with --list-pods x --list-per-pod containers present
//     (created, not started, in host-network pods), over 100 calls;
//   - berthd's VmRSS/VmHWM idle and with --running running containers, with
//     the containers' conmon processes counted separately.
//
//   container_bench [--endpoint unix:///...] [--image REF] [--pid BERTHD_PID]
//                   [--runs 50] [--list-pods 10] [--list-per-pod 100] [--running 100]
// --image defaults to $BERTH_BENCH_REGISTRY/berth-test/busybox:latest (hack/bench.sh
// starts the test registry); --pid to $BERTH_PID (without it the RSS lines are
// skipped). Every pod the bench makes carries the label io.berth.bench.run=<tag>
// and is removed at the end, also after a failure or SIGINT/SIGTERM.
#include <set>

#include "test/bench/bench_util.h"
#include "test/bench/cri_bench_client.h"
#include "test/bench/parallel_for.h"
#include "test/bench/proc_memory.h"

namespace {

namespace bench = berth::bench;
namespace rt = runtime::v1;
using bench::BenchError;
using bench::CheckNotInterrupted;
using bench::Latencies;
using bench::ParallelFor;
using Clock = std::chrono::steady_clock;

class ContainerBench {
 public:
  ContainerBench(const std::shared_ptr<grpc::Channel>& channel, std::string image, std::string pid)
      : cri_(channel, std::move(image), "cbench", "/tmp/berth-cbench-logs-XXXXXX"),
        pid_(std::move(pid)) {}

  void PullImage() { cri_.PullImage(); }

  void PrintRss(const std::string& when, const std::set<std::string>& conmon_of = {}) {
    if (pid_.empty()) return;
    std::printf("%-40s VmRSS=%7ld kB  VmHWM=%7ld kB\n", ("berthd RSS, " + when).c_str(),
                bench::StatusKb(pid_, "VmRSS"), bench::StatusKb(pid_, "VmHWM"));
    if (conmon_of.empty()) return;
    auto [count, kb] = bench::MonitorRss("conmon", "--cid", conmon_of);
    std::printf("%-40s %d processes, VmRSS sum=%ld kB (%.0f kB each; not in berthd's figure)\n",
                "  conmon of those containers", count, kb, count ? double(kb) / count : 0.0);
  }

  // Create/Start/Stop/Remove `runs` times in one pod, timing each call.
  void Lifecycle(int runs) {
    const std::string pod = cri_.RunPod("life");
    Latencies create, start, stop, remove;
    for (int i = 0; i < runs; ++i) {
      CheckNotInterrupted();
      std::string id;
      create.Measure([&] {
        id = cri_.CreateContainer(pod, "c" + std::to_string(i), {"/bin/sleep", "3600"});
      });
      start.Measure([&] { cri_.StartContainer(id); });
      auto t0 = Clock::now();
      stop.Measure([&] { cri_.StopContainer(id, 10); });
      // Prove the figure is SIGTERM through the runtime, not the timeout's SIGKILL.
      rt::ContainerStatus st = cri_.ContainerStatus(id);
      if (st.state() != rt::CONTAINER_EXITED || st.exit_code() != 128 + SIGTERM) {
        throw BenchError{"container " + id + " did not end by SIGTERM (state " +
                         std::to_string(st.state()) + ", exit code " +
                         std::to_string(st.exit_code()) + ")"};
      }
      if (Clock::now() - t0 > std::chrono::seconds(9)) throw BenchError{"stop hit its timeout"};
      remove.Measure([&] { cri_.RemoveContainer(id); });
    }
    create.Print("CreateContainer (busybox, host-network pod)");
    start.Print("StartContainer");
    stop.Print("StopContainer (exits on SIGTERM)");
    remove.Print("RemoveContainer");
    cri_.RemovePod(pod);
  }

  void ExecSync(int runs) {
    const std::string pod = cri_.RunPod("exec");
    const std::string id = cri_.CreateContainer(pod, "exec", {"/bin/sleep", "3600"});
    cri_.StartContainer(id);
    Latencies exec;
    for (int i = 0; i < runs; ++i) {
      CheckNotInterrupted();
      exec.Measure([&] { cri_.ExecSyncTrue(id); });
    }
    exec.Print("ExecSync (true)");
    cri_.RemovePod(pod);
  }

  // `count` running containers in one pod: berthd's memory and conmon's beside it.
  void Running(int count) {
    const std::string pod = cri_.RunPod("running");
    std::vector<std::string> ids(static_cast<size_t>(count));
    auto t0 = Clock::now();
    ParallelFor(count, 4, [&](int i) {
      std::string id = cri_.CreateContainer(pod, "r" + std::to_string(i), {"/bin/sleep", "3600"});
      ids[static_cast<size_t>(i)] = id;
      cri_.StartContainer(id);
    });
    std::printf("created and started %d containers in %.1f s (4 callers)\n", count,
                bench::SecondsSince(t0));
    PrintRss("with " + std::to_string(count) + " running", {ids.begin(), ids.end()});
    t0 = Clock::now();
    cri_.RemovePod(pod);
    std::printf("removed their pod (stop + remove all) in %.1f s\n", bench::SecondsSince(t0));
  }

  // `pods` x `per_pod` created containers; List timed over 100 calls.
  void List(int pods, int per_pod) {
    std::vector<std::string> pod_ids;
    for (int p = 0; p < pods; ++p) pod_ids.push_back(cri_.RunPod("list" + std::to_string(p)));
    auto t0 = Clock::now();
    ParallelFor(pods * per_pod, 4, [&](int i) {
      cri_.CreateContainer(pod_ids[static_cast<size_t>(i / per_pod)],
                           "l" + std::to_string(i % per_pod), {"/bin/sleep", "3600"});
    });
    std::printf("created %d containers in %d pods in %.1f s (4 callers)\n", pods * per_pod, pods,
                bench::SecondsSince(t0));
    PrintRss("with " + std::to_string(pods * per_pod) + " created");
    Latencies list;
    int seen = 0;
    for (int i = 0; i < 100; ++i) {
      rt::ListContainersResponse resp;
      list.MeasureCall("ListContainers", [&] {
        return cri_.runtime().ListContainers(bench::Ctx().get(), rt::ListContainersRequest(),
                                             &resp);
      });
      seen = resp.containers_size();
    }
    list.Print("ListContainers (" + std::to_string(seen) + " containers)");
    if (seen < pods * per_pod) throw BenchError{"ListContainers saw only " + std::to_string(seen)};
    t0 = Clock::now();
    ParallelFor(static_cast<int>(pod_ids.size()), 2,
                [&](int i) { cri_.RemovePod(pod_ids[static_cast<size_t>(i)]); });
    std::printf("removed the %d pods in %.1f s\n", pods, bench::SecondsSince(t0));
  }

 private:
  bench::BenchClient cri_;  // its destructor removes every pod the bench made
  const std::string pid_;
};

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // progress shows when piped to a log
  const std::string endpoint = bench::EndpointFromArgs(argc, argv);
  const char* env_pid = std::getenv("BERTH_PID");
  const std::string image = bench::Flag(argc, argv, "image", bench::DefaultBusyboxImage());
  const std::string pid = bench::Flag(argc, argv, "pid", env_pid ? env_pid : "");
  const int runs = std::stoi(bench::Flag(argc, argv, "runs", "50"));
  const int list_pods = std::stoi(bench::Flag(argc, argv, "list-pods", "10"));
  const int list_per_pod = std::stoi(bench::Flag(argc, argv, "list-per-pod", "100"));
  const int running = std::stoi(bench::Flag(argc, argv, "running", "100"));

  auto channel = bench::ConnectedChannel(endpoint);
  if (!channel) return 1;
  bench::StopOnSignals();
  if (pid.empty()) std::printf("no --pid / $BERTH_PID: berthd RSS lines skipped\n");

  int rc = 0;
  {
    ContainerBench bench(channel, image, pid);  // its destructor removes every pod it made
    try {
      bench.PrintRss("at start");
      bench.PullImage();
      bench.PrintRss("idle (image pulled, no containers)");
      if (runs > 0) bench.Lifecycle(runs);
      if (runs > 0) bench.ExecSync(runs);
      if (running > 0) bench.Running(running);
      if (list_pods > 0 && list_per_pod > 0) bench.List(list_pods, list_per_pod);
      bench.PrintRss("after cleanup");
    } catch (const BenchError& e) {
      std::fprintf(stderr, "container_bench: %s\n", e.what.c_str());
      rc = 1;
    }
  }
  return rc;
}
