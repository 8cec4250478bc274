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
#include <dirent.h>
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include "runtime/v1/api.grpc.pb.h"
#include "test/bench/bench_util.h"

namespace {

namespace rt = runtime::v1;
namespace fs = std::filesystem;
using berth::bench::Latencies;
using Clock = std::chrono::steady_clock;

constexpr char kRunLabel[] = "io.berth.bench.run";
std::atomic<bool> g_interrupted{false};

void OnSignal(int) { g_interrupted = true; }

std::string Flag(int argc, char** argv, const std::string& name, const std::string& def) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (argv[i] == "--" + name) return argv[i + 1];
  }
  return def;
}

std::unique_ptr<grpc::ClientContext> Ctx(std::chrono::seconds timeout = std::chrono::seconds(60)) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + timeout);
  return ctx;
}

// A failed step ends the bench (after cleanup) with the call's message.
struct BenchError {
  std::string what;
};

void Check(const grpc::Status& s, const std::string& what) {
  if (!s.ok()) throw BenchError{what + ": " + s.error_message()};
}

void CheckNotInterrupted() {
  if (g_interrupted) throw BenchError{"interrupted"};
}

// "VmRSS:     1234 kB" -> 1234; -1 when the process or key is absent.
long StatusKb(const std::string& pid, const std::string& key) {
  std::ifstream in("/proc/" + pid + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(key + ":", 0) == 0) return std::stol(line.substr(key.size() + 1));
  }
  return -1;
}

// conmon processes whose --cid is one of `ids`: how many, and their summed VmRSS.
std::pair<int, long> ConmonRss(const std::set<std::string>& ids) {
  int count = 0;
  long kb = 0;
  std::unique_ptr<DIR, int (*)(DIR*)> proc(opendir("/proc"), closedir);
  if (!proc) return {0, 0};
  while (dirent* e = readdir(proc.get())) {
    const std::string pid = e->d_name;
    if (pid.empty() || pid.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream comm("/proc/" + pid + "/comm");
    std::string name;
    if (!std::getline(comm, name) || name != "conmon") continue;
    std::ifstream cmdline("/proc/" + pid + "/cmdline");
    std::vector<std::string> args;
    for (std::string a; std::getline(cmdline, a, '\0');) args.push_back(a);
    for (size_t i = 0; i + 1 < args.size(); ++i) {
      if (args[i] != "--cid" || !ids.count(args[i + 1])) continue;
      long rss = StatusKb(pid, "VmRSS");
      if (rss >= 0) {
        ++count;
        kb += rss;
      }
      break;
    }
  }
  return {count, kb};
}

// Runs fn(i) for i in [0, n) on `threads` threads; the first failure is rethrown.
void ParallelFor(int n, int threads, const std::function<void(int)>& fn) {
  std::atomic<int> next{0};
  std::mutex mu;
  std::optional<BenchError> first;
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      for (int i = next++; i < n; i = next++) {
        if (g_interrupted) return;
        try {
          fn(i);
        } catch (const BenchError& e) {
          std::lock_guard<std::mutex> l(mu);
          if (!first) first = e;
          next = n;  // stop handing out work
        }
      }
    });
  }
  for (auto& t : pool) t.join();
  if (first) throw *first;
  CheckNotInterrupted();
}

class ContainerBench {
 public:
  ContainerBench(std::shared_ptr<grpc::Channel> channel, std::string image, std::string pid)
      : runtime_(rt::RuntimeService::NewStub(channel)),
        images_(rt::ImageService::NewStub(channel)),
        image_(std::move(image)),
        pid_(std::move(pid)),
        tag_("cbench" + std::to_string(getpid())) {
    char tmpl[] = "/tmp/berth-cbench-logs-XXXXXX";
    if (mkdtemp(tmpl)) log_dir_ = tmpl;
  }
  ~ContainerBench() {
    Cleanup();
    std::error_code ec;
    if (!log_dir_.empty()) fs::remove_all(log_dir_, ec);
  }

  void PullImage() {
    rt::PullImageRequest req;
    req.mutable_image()->set_image(image_);
    rt::PullImageResponse resp;
    Check(images_->PullImage(Ctx(std::chrono::seconds(300)).get(), req, &resp), "pull " + image_);
  }

  void PrintRss(const std::string& when, const std::set<std::string>& conmon_of = {}) {
    if (pid_.empty()) return;
    std::printf("%-40s VmRSS=%7ld kB  VmHWM=%7ld kB\n", ("berthd RSS, " + when).c_str(),
                StatusKb(pid_, "VmRSS"), StatusKb(pid_, "VmHWM"));
    if (conmon_of.empty()) return;
    auto [count, kb] = ConmonRss(conmon_of);
    std::printf("%-40s %d processes, VmRSS sum=%ld kB (%.0f kB each; not in berthd's figure)\n",
                "  conmon of those containers", count, kb, count ? double(kb) / count : 0.0);
  }

  // Create/Start/Stop/Remove `runs` times in one pod, timing each call.
  void Lifecycle(int runs) {
    const std::string pod = RunPod("life");
    Latencies create, start, stop, remove;
    for (int i = 0; i < runs; ++i) {
      CheckNotInterrupted();
      std::string id;
      create.Measure([&] { id = CreateContainer(pod, "c" + std::to_string(i), {"/bin/sleep", "3600"}); });
      start.Measure([&] { StartContainer(id); });
      auto t0 = Clock::now();
      stop.Measure([&] { StopContainer(id, 10); });
      // Prove the figure is SIGTERM through the runtime, not the timeout's SIGKILL.
      rt::ContainerStatus st = Status(id);
      if (st.state() != rt::CONTAINER_EXITED || st.exit_code() != 128 + SIGTERM) {
        throw BenchError{"container " + id + " did not end by SIGTERM (state " +
                         std::to_string(st.state()) + ", exit code " +
                         std::to_string(st.exit_code()) + ")"};
      }
      if (Clock::now() - t0 > std::chrono::seconds(9)) throw BenchError{"stop hit its timeout"};
      remove.Measure([&] { RemoveContainer(id); });
    }
    create.Print("CreateContainer (busybox, host-network pod)");
    start.Print("StartContainer");
    stop.Print("StopContainer (exits on SIGTERM)");
    remove.Print("RemoveContainer");
    RemovePod(pod);
  }

  void ExecSync(int runs) {
    const std::string pod = RunPod("exec");
    const std::string id = CreateContainer(pod, "exec", {"/bin/sleep", "3600"});
    StartContainer(id);
    Latencies exec;
    for (int i = 0; i < runs; ++i) {
      CheckNotInterrupted();
      rt::ExecSyncRequest req;
      req.set_container_id(id);
      req.add_cmd("true");
      req.set_timeout(30);
      rt::ExecSyncResponse resp;
      grpc::Status s;
      exec.Measure([&] { s = runtime_->ExecSync(Ctx().get(), req, &resp); });
      Check(s, "ExecSync true");
      if (resp.exit_code() != 0) throw BenchError{"ExecSync true exited " + std::to_string(resp.exit_code())};
    }
    exec.Print("ExecSync (true)");
    RemovePod(pod);
  }

  // `count` running containers in one pod: berthd's memory and conmon's beside it.
  void Running(int count) {
    const std::string pod = RunPod("running");
    std::vector<std::string> ids(static_cast<size_t>(count));
    auto t0 = Clock::now();
    ParallelFor(count, 4, [&](int i) {
      std::string id = CreateContainer(pod, "r" + std::to_string(i), {"/bin/sleep", "3600"});
      ids[static_cast<size_t>(i)] = id;
      StartContainer(id);
    });
    std::printf("created and started %d containers in %.1f s (4 callers)\n", count, Seconds(t0));
    PrintRss("with " + std::to_string(count) + " running", {ids.begin(), ids.end()});
    t0 = Clock::now();
    RemovePod(pod);
    std::printf("removed their pod (stop + remove all) in %.1f s\n", Seconds(t0));
  }

  // `pods` x `per_pod` created containers; List timed over 100 calls.
  void List(int pods, int per_pod) {
    std::vector<std::string> pod_ids;
    for (int p = 0; p < pods; ++p) pod_ids.push_back(RunPod("list" + std::to_string(p)));
    auto t0 = Clock::now();
    ParallelFor(pods * per_pod, 4, [&](int i) {
      CreateContainer(pod_ids[static_cast<size_t>(i / per_pod)], "l" + std::to_string(i % per_pod),
                      {"/bin/sleep", "3600"});
    });
    std::printf("created %d containers in %d pods in %.1f s (4 callers)\n", pods * per_pod, pods,
                Seconds(t0));
    PrintRss("with " + std::to_string(pods * per_pod) + " created");
    Latencies list;
    int seen = 0;
    for (int i = 0; i < 100; ++i) {
      rt::ListContainersResponse resp;
      grpc::Status s;
      list.Measure([&] { s = runtime_->ListContainers(Ctx().get(), rt::ListContainersRequest(), &resp); });
      Check(s, "ListContainers");
      seen = resp.containers_size();
    }
    list.Print("ListContainers (" + std::to_string(seen) + " containers)");
    if (seen < pods * per_pod) throw BenchError{"ListContainers saw only " + std::to_string(seen)};
    t0 = Clock::now();
    ParallelFor(static_cast<int>(pod_ids.size()), 2, [&](int i) { RemovePod(pod_ids[static_cast<size_t>(i)]); });
    std::printf("removed the %d pods in %.1f s\n", pods, Seconds(t0));
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
      std::fprintf(stderr, "cleanup: %d containers of this run are left\n", cresp.containers_size());
    }
  }

 private:
  static double Seconds(Clock::time_point since) {
    return std::chrono::duration<double>(Clock::now() - since).count();
  }

  std::string RunPod(const std::string& name) {
    rt::RunPodSandboxRequest req;
    rt::PodSandboxConfig* c = req.mutable_config();
    c->mutable_metadata()->set_name(tag_ + "-" + name);
    c->mutable_metadata()->set_namespace_("bench");
    c->mutable_metadata()->set_uid(tag_ + "-" + name);
    c->set_log_directory(log_dir_ + "/" + name);
    (*c->mutable_labels())[kRunLabel] = tag_;
    c->mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_network(rt::NODE);
    rt::RunPodSandboxResponse resp;
    Check(runtime_->RunPodSandbox(Ctx(std::chrono::seconds(120)).get(), req, &resp),
          "RunPodSandbox " + name);
    return resp.pod_sandbox_id();
  }

  void RemovePod(const std::string& id) {
    rt::StopPodSandboxRequest sreq;
    sreq.set_pod_sandbox_id(id);
    rt::StopPodSandboxResponse sresp;
    Check(runtime_->StopPodSandbox(Ctx(std::chrono::seconds(600)).get(), sreq, &sresp),
          "StopPodSandbox " + id);
    rt::RemovePodSandboxRequest req;
    req.set_pod_sandbox_id(id);
    rt::RemovePodSandboxResponse resp;
    Check(runtime_->RemovePodSandbox(Ctx(std::chrono::seconds(600)).get(), req, &resp),
          "RemovePodSandbox " + id);
  }

  std::string CreateContainer(const std::string& pod, const std::string& name,
                              const std::vector<std::string>& cmd) {
    rt::CreateContainerRequest req;
    req.set_pod_sandbox_id(pod);
    rt::ContainerConfig* c = req.mutable_config();
    c->mutable_metadata()->set_name(name);
    c->mutable_image()->set_image(image_);
    for (const auto& a : cmd) c->add_command(a);
    c->set_log_path(name + ".log");
    (*c->mutable_labels())[kRunLabel] = tag_;
    rt::CreateContainerResponse resp;
    Check(runtime_->CreateContainer(Ctx(std::chrono::seconds(120)).get(), req, &resp),
          "CreateContainer " + name);
    return resp.container_id();
  }

  void StartContainer(const std::string& id) {
    rt::StartContainerRequest req;
    req.set_container_id(id);
    rt::StartContainerResponse resp;
    Check(runtime_->StartContainer(Ctx(std::chrono::seconds(120)).get(), req, &resp),
          "StartContainer " + id);
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

  rt::ContainerStatus Status(const std::string& id) {
    rt::ContainerStatusRequest req;
    req.set_container_id(id);
    rt::ContainerStatusResponse resp;
    Check(runtime_->ContainerStatus(Ctx().get(), req, &resp), "ContainerStatus " + id);
    return resp.status();
  }

  std::unique_ptr<rt::RuntimeService::Stub> runtime_;
  std::unique_ptr<rt::ImageService::Stub> images_;
  const std::string image_, pid_, tag_;
  std::string log_dir_;
};

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // progress shows when piped to a log
  const std::string endpoint = berth::bench::EndpointFromArgs(argc, argv);
  const char* registry = std::getenv("BERTH_BENCH_REGISTRY");
  const char* env_pid = std::getenv("BERTH_PID");
  const std::string image =
      Flag(argc, argv, "image",
           std::string(registry ? registry : "127.0.0.1:5000") + "/berth-test/busybox:latest");
  const std::string pid = Flag(argc, argv, "pid", env_pid ? env_pid : "");
  const int runs = std::stoi(Flag(argc, argv, "runs", "50"));
  const int list_pods = std::stoi(Flag(argc, argv, "list-pods", "10"));
  const int list_per_pod = std::stoi(Flag(argc, argv, "list-per-pod", "100"));
  const int running = std::stoi(Flag(argc, argv, "running", "100"));

  auto channel = grpc::CreateChannel(endpoint, grpc::InsecureChannelCredentials());
  if (!channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(10))) {
    std::fprintf(stderr, "cannot connect to %s\n", endpoint.c_str());
    return 1;
  }
  struct sigaction sa = {};
  sa.sa_handler = OnSignal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
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
