// berth-bench: the same CRI workload against any endpoint (berthd, containerd),
// printing one figure a line so that hack/bench.sh --compare can set two
// runtimes side by side. Scenarios (--scenarios, comma-separated, default all):
//   idle       the daemon's RSS before the bench has made anything;
//   lifecycle  --cycles sequential cycles of RunPodSandbox (bridge network),
//              CreateContainer, StartContainer, StopContainer, RemoveContainer,
//              StopPodSandbox, RemovePodSandbox: median and p90 of each step,
//              of CreateContainer+StartContainer and of the whole cycle;
//   pods       --pods pods of one container each, created (run, create, start)
//              by --pod-concurrency callers at once and torn down likewise:
//              the wall time of each phase, and memory with the pods up;
//   pull       --pulls pulls of --pull-image, each after RemoveImage;
//   list       ListContainers and ListPodSandbox with --list-pods x
//              --list-per-pod created (not started) containers present:
//              alternating, the latencies; then --list-cpu-calls of each
//              alone, the daemon's CPU time per call and the answer's size;
//   exec       --execs ExecSync calls of `true` in a running container.
// Memory: the daemon's VmRSS (--pid, or $BERTH_PID) idle and with the pods up,
// and that of the monitors (--monitor: conmon for berth, containerd-shim-runc-v2
// for containerd) serving those pods.
//
//   berth-bench [--endpoint unix:///...] [--image REF] [--pid PID] [--monitor NAME]
//               [--results FILE] [--scenarios idle,lifecycle,pods,pull,list,exec]
//               [--cycles 20] [--pods 100] [--pod-concurrency 100] [--pulls 5]
//               [--pull-image REF] [--list-pods 10] [--list-per-pod 100]
//               [--list-calls 100] [--list-cpu-calls 1000] [--execs 20]
// A failed call ends the bench (exit 1) naming the call and its object; failed
// calls are never timed. Every pod and container carries the run label and is
// removed at the end, also after a failure or SIGINT/SIGTERM.
#include <csignal>
#include <set>
#include <sstream>

#include "test/bench/bench_util.h"
#include "test/bench/cri_bench_client.h"
#include "test/bench/figure_report.h"
#include "test/bench/list_call_cost.h"
#include "test/bench/parallel_for.h"
#include "test/bench/proc_memory.h"

namespace {

namespace bench = berth::bench;
namespace rt = runtime::v1;
using bench::BenchError;
using Clock = std::chrono::steady_clock;

// Long enough that a container still running at its end is a runtime that
// missed SIGTERM, which the bench reports instead of timing.
constexpr int64_t kStopTimeoutSeconds = 10;

const std::vector<std::string> kSleeper = {"/bin/sleep", "3600"};

struct Options {
  std::set<std::string> scenarios;
  std::string daemon_pid, monitor, monitor_id_flag, pull_image;
  int cycles, pods, pod_concurrency, pulls, list_pods, list_per_pod, list_calls, list_cpu_calls,
      execs;
};

// The wall time of fn() in ms; nothing is recorded when it throws.
template <typename Fn>
double TimedMs(Fn&& fn) {
  const auto start = Clock::now();
  fn();
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

class CriBench {
 public:
  CriBench(const std::shared_ptr<grpc::Channel>& channel, const std::string& image,
           const Options& opts, bench::FigureReport& report)
      : cri_(channel, image, "berth-bench-", "/tmp/berth-bench-logs-XXXXXX"),
        opts_(opts),
        report_(report) {}

  // The daemon's RSS before the bench has made anything.
  void IdleMemory() {
    if (opts_.daemon_pid.empty()) return;
    report_.Add("memory: daemon RSS idle", DaemonRssKb() / 1024.0, "MB");
  }

  void PullBenchImage() { cri_.PullImage(); }

  void Lifecycle() {
    static const char* const kSteps[] = {"RunPodSandbox",   "CreateContainer", "StartContainer",
                                         "StopContainer",   "RemoveContainer", "StopPodSandbox",
                                         "RemovePodSandbox"};
    std::vector<std::vector<double>> step_ms(std::size(kSteps));
    std::vector<double> create_start_ms, cycle_ms;
    for (int i = 0; i < opts_.cycles; ++i) {
      bench::CheckNotInterrupted();
      const std::string name = "cycle" + std::to_string(i);
      const rt::RunPodSandboxRequest pod_req = cri_.PodRequest(name, /*host_network=*/false);
      std::string pod, ctr;
      double ms[std::size(kSteps)];
      ms[0] = TimedMs([&] { pod = cri_.RunPod(pod_req, "RunPodSandbox " + name); });
      const rt::CreateContainerRequest ctr_req = cri_.ContainerRequest(pod, "sleeper", kSleeper);
      ms[1] = TimedMs([&] { ctr = cri_.CreateContainer(ctr_req); });
      ms[2] = TimedMs([&] { cri_.StartContainer(ctr); });
      ms[3] = TimedMs([&] { cri_.StopContainer(ctr, kStopTimeoutSeconds); });
      ExpectEndedBySigterm(ctr);
      ms[4] = TimedMs([&] { cri_.RemoveContainer(ctr); });
      ms[5] = TimedMs([&] { cri_.StopPod(pod); });
      ms[6] = TimedMs([&] { cri_.RemoveStoppedPod(pod); });
      double cycle = 0;
      for (size_t s = 0; s < std::size(kSteps); ++s) {
        step_ms[s].push_back(ms[s]);
        cycle += ms[s];
      }
      create_start_ms.push_back(ms[1] + ms[2]);
      cycle_ms.push_back(cycle);
    }
    for (size_t s = 0; s < std::size(kSteps); ++s) {
      report_.AddLatencies(std::string("lifecycle: ") + kSteps[s], step_ms[s]);
    }
    report_.AddLatencies("lifecycle: CreateContainer+StartContainer", create_start_ms);
    report_.AddLatencies("lifecycle: whole cycle", cycle_ms);
  }

  // P pods of one container each, all set up and then all torn down by
  // concurrent callers, as a kubelet does when a node fills or drains.
  void ManyPods() {
    const int n = opts_.pods;
    std::vector<std::string> pods(static_cast<size_t>(n)), ctrs(static_cast<size_t>(n));
    const long rss_before_kb = opts_.daemon_pid.empty() ? 0 : DaemonRssKb();
    auto start = Clock::now();
    bench::ParallelFor(n, opts_.pod_concurrency, [&](int i) {
      const std::string name = "pod" + std::to_string(i);
      const std::string pod = cri_.RunPod(name, /*host_network=*/false);
      pods[static_cast<size_t>(i)] = pod;
      const std::string ctr = cri_.CreateContainer(pod, "sleeper", kSleeper);
      ctrs[static_cast<size_t>(i)] = ctr;
      cri_.StartContainer(ctr);
    });
    const std::string what = std::to_string(n) + " pods";
    report_.Add("pods: create " + what + " (run+create+start)", bench::SecondsSince(start), "s");

    std::set<std::string> ids(pods.begin(), pods.end());
    ids.insert(ctrs.begin(), ctrs.end());
    MemoryWithPods(n, ids, rss_before_kb);

    start = Clock::now();
    bench::ParallelFor(n, opts_.pod_concurrency, [&](int i) {
      cri_.StopContainer(ctrs[static_cast<size_t>(i)], kStopTimeoutSeconds);
      cri_.RemoveContainer(ctrs[static_cast<size_t>(i)]);
      cri_.RemovePod(pods[static_cast<size_t>(i)]);
    });
    report_.Add("pods: tear down " + what + " (stop+rm, stopp+rmp)", bench::SecondsSince(start),
                "s");
  }

  // Pulls of an image that is removed before each one; a failed removal
  // fails the bench, since a pull of an image still present measures nothing.
  void Pull() {
    const std::string& ref = opts_.pull_image;
    std::vector<double> ms;
    try {
      for (int i = 0; i < opts_.pulls; ++i) {
        bench::CheckNotInterrupted();
        cri_.RemoveImage(ref);
        ms.push_back(TimedMs([&] { cri_.PullImage(ref); }));
      }
    } catch (const BenchError&) {
      try {
        cri_.RemoveImage(ref);
      } catch (const BenchError& e) {
        std::fprintf(stderr, "cleanup: %s\n", e.what.c_str());
      }
      throw;
    }
    cri_.RemoveImage(ref);  // the bench leaves no image of its own behind
    report_.AddLatencies("pull: " + ref.substr(ref.find('/') + 1), ms);
  }

  // ListContainers and ListPodSandbox with list_pods x list_per_pod containers
  // present: created and never started, the cheapest object a runtime lists.
  void List() {
    std::vector<std::string> pods;
    for (int p = 0; p < opts_.list_pods; ++p)
      pods.push_back(cri_.RunPod("list" + std::to_string(p)));
    const int total = opts_.list_pods * opts_.list_per_pod;
    bench::ParallelFor(total, 4, [&](int i) {
      const std::string& pod = pods[static_cast<size_t>(i / opts_.list_per_pod)];
      cri_.CreateContainer(pod, "l" + std::to_string(i % opts_.list_per_pod), kSleeper);
    });
    std::vector<double> containers_ms, pods_ms;
    for (int i = 0; i < opts_.list_calls; ++i) {
      bench::CheckNotInterrupted();
      rt::ListContainersResponse cresp;
      containers_ms.push_back(TimedMs([&] {
        bench::Check(cri_.runtime().ListContainers(bench::Ctx().get(), {}, &cresp),
                     "ListContainers");
      }));
      if (cresp.containers_size() < total) {
        throw BenchError{"ListContainers listed " + std::to_string(cresp.containers_size()) +
                         " containers of the " + std::to_string(total) + " created"};
      }
      rt::ListPodSandboxResponse presp;
      pods_ms.push_back(TimedMs([&] {
        bench::Check(cri_.runtime().ListPodSandbox(bench::Ctx().get(), {}, &presp),
                     "ListPodSandbox");
      }));
      if (presp.items_size() < opts_.list_pods) {
        throw BenchError{"ListPodSandbox listed " + std::to_string(presp.items_size()) +
                         " pods of the " + std::to_string(opts_.list_pods) + " run"};
      }
    }
    const std::string present = " (" + std::to_string(total) + " containers in " +
                                std::to_string(opts_.list_pods) + " pods)";
    report_.AddLatencies("list: ListContainers" + present, containers_ms);
    report_.AddLatencies("list: ListPodSandbox" + present, pods_ms);
    ReportListCost(
        "list: ListContainers" + present,
        bench::MeasureListContainers(opts_.list_cpu_calls, opts_.daemon_pid, cri_.runtime()));
    ReportListCost(
        "list: ListPodSandbox" + present,
        bench::MeasureListPodSandbox(opts_.list_cpu_calls, opts_.daemon_pid, cri_.runtime()));
    bench::ParallelFor(static_cast<int>(pods.size()), 2,
                       [&](int i) { cri_.RemovePod(pods[static_cast<size_t>(i)]); });
  }

  void Exec() {
    const std::string pod = cri_.RunPod("exec");
    const std::string ctr = cri_.CreateContainer(pod, "exec", kSleeper);
    cri_.StartContainer(ctr);
    std::vector<double> ms;
    for (int i = 0; i < opts_.execs; ++i) {
      bench::CheckNotInterrupted();
      ms.push_back(TimedMs([&] { cri_.ExecSyncTrue(ctr); }));
    }
    report_.AddLatencies("exec: ExecSync true", ms);
    cri_.RemovePod(pod);
  }

 private:
  // The figures of a run of one List call alone: the daemon's CPU time per
  // call (with --pid) and the answer's size, which the machine's load barely
  // moves, unlike the latencies.
  void ReportListCost(const std::string& key, const bench::ListCallCost& cost) {
    if (!opts_.daemon_pid.empty()) {
      report_.Add(key + " daemon CPU per call", cost.daemon_cpu_ms_per_call, "ms");
    }
    report_.Add(key + " answer", static_cast<double>(cost.answer_bytes), "bytes");
  }

  // The pod shares its PID namespace, so sleep is not PID 1 and dies of
  // SIGTERM: a stop that needed the timeout's SIGKILL would time the timeout.
  void ExpectEndedBySigterm(const std::string& ctr) {
    const rt::ContainerStatus st = cri_.ContainerStatus(ctr);
    if (st.state() == rt::CONTAINER_EXITED && st.exit_code() == 128 + SIGTERM) return;
    throw BenchError{"StopContainer " + ctr + ": it did not end by SIGTERM (state " +
                     rt::ContainerState_Name(st.state()) + ", exit code " +
                     std::to_string(st.exit_code()) + ")"};
  }

  long DaemonRssKb() const {
    const long kb = bench::StatusKb(opts_.daemon_pid, "VmRSS");
    if (kb < 0) throw BenchError{"no daemon process " + opts_.daemon_pid + " (--pid)"};
    return kb;
  }

  // The daemon's RSS and its growth since `before_kb`, and the monitors
  // serving `ids` (a shim serves a whole pod, conmon one container).
  void MemoryWithPods(int n, const std::set<std::string>& ids, long before_kb) {
    if (opts_.daemon_pid.empty()) return;
    const long daemon_kb = DaemonRssKb();
    auto [monitors, monitor_kb] = bench::MonitorRss(opts_.monitor, opts_.monitor_id_flag, ids);
    const std::string with = " with " + std::to_string(n) + " pods";
    const double daemon_per_pod = double(daemon_kb - before_kb) / n;
    report_.Add("memory: daemon RSS" + with, daemon_kb / 1024.0, "MB");
    report_.Add("memory: monitor processes" + with, monitors, "count");
    report_.Add("memory: monitors' RSS" + with, monitor_kb / 1024.0, "MB");
    report_.Add("memory: daemon RSS growth per pod", daemon_per_pod, "kB");
    report_.Add("memory: daemon growth+monitors per pod", daemon_per_pod + double(monitor_kb) / n,
                "kB");
  }

  bench::BenchClient cri_;  // its destructor removes every pod the bench made
  const Options& opts_;
  bench::FigureReport& report_;
};

std::set<std::string> SplitCommas(const std::string& list) {
  std::set<std::string> items;
  std::stringstream in(list);
  for (std::string item; std::getline(in, item, ',');) {
    if (!item.empty()) items.insert(item);
  }
  return items;
}

// The flag that carries the served ID on each known monitor's command line.
std::string MonitorIdFlag(const std::string& monitor) {
  if (monitor == "conmon") return "--cid";
  if (monitor == "containerd-shim-runc-v2") return "-id";
  return "";
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // progress shows when piped to a log
  auto flag = [&](const std::string& name, const std::string& def) {
    return bench::Flag(argc, argv, name, def);
  };
  auto count = [&](const std::string& name, const std::string& def) {
    return std::stoi(flag(name, def));
  };
  const char* env_pid = std::getenv("BERTH_PID");
  const char* registry = std::getenv("BERTH_BENCH_REGISTRY");
  Options opts;
  opts.scenarios = SplitCommas(flag("scenarios", "idle,lifecycle,pods,pull,list,exec"));
  opts.daemon_pid = flag("pid", env_pid ? env_pid : "");
  opts.monitor = flag("monitor", "conmon");
  opts.monitor_id_flag = MonitorIdFlag(opts.monitor);
  opts.pull_image = flag(
      "pull-image", std::string(registry ? registry : "127.0.0.1:5000") + "/berth-test/big:latest");
  opts.cycles = count("cycles", "20");
  opts.pods = count("pods", "100");
  opts.pod_concurrency = count("pod-concurrency", std::to_string(opts.pods));
  opts.pulls = count("pulls", "5");
  opts.list_pods = count("list-pods", "10");
  opts.list_per_pod = count("list-per-pod", "100");
  opts.list_calls = count("list-calls", "100");
  // Many: the CPU figure counts in clock ticks (10 ms).
  opts.list_cpu_calls = count("list-cpu-calls", "1000");
  opts.execs = count("execs", "20");
  for (const std::string& s : opts.scenarios) {
    if (s != "idle" && s != "lifecycle" && s != "pods" && s != "pull" && s != "list" &&
        s != "exec") {
      std::fprintf(stderr, "berth-bench: unknown scenario %s\n", s.c_str());
      return 2;
    }
  }
  if (opts.monitor_id_flag.empty()) {
    std::fprintf(stderr, "berth-bench: unknown --monitor %s (conmon, containerd-shim-runc-v2)\n",
                 opts.monitor.c_str());
    return 2;
  }
  if (opts.pods <= 0 || opts.pod_concurrency <= 0 || opts.list_pods <= 0 ||
      opts.list_per_pod <= 0) {
    std::fprintf(stderr,
                 "berth-bench: --pods, --pod-concurrency, --list-pods and "
                 "--list-per-pod must be positive\n");
    return 2;
  }
  const std::string results = flag("results", "");
  bench::FigureReport report(results);
  if (report.unwritable()) {
    std::fprintf(stderr, "berth-bench: cannot write %s\n", results.c_str());
    return 2;
  }
  if (opts.daemon_pid.empty()) std::printf("no --pid / $BERTH_PID: memory figures skipped\n");

  auto channel = bench::ConnectedChannel(bench::EndpointFromArgs(argc, argv));
  if (!channel) return 1;
  bench::StopOnSignals();
  const std::string image = flag("image", bench::DefaultBusyboxImage());
  int rc = 0;
  {
    CriBench run(channel, image, opts, report);  // its destructor removes what it made
    try {
      if (opts.scenarios.count("idle")) run.IdleMemory();
      run.PullBenchImage();
      if (opts.scenarios.count("lifecycle")) run.Lifecycle();
      if (opts.scenarios.count("pods")) run.ManyPods();
      if (opts.scenarios.count("pull")) run.Pull();
      if (opts.scenarios.count("list")) run.List();
      if (opts.scenarios.count("exec")) run.Exec();
    } catch (const BenchError& e) {
      std::fprintf(stderr, "berth-bench: FAILED: %s\n", e.what.c_str());
      rc = 1;
    }
  }
  return rc;
}
