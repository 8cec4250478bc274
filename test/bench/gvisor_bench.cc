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
#include <dirent.h>
#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "runtime/v1/api.grpc.pb.h"
#include "test/bench/bench_util.h"

namespace {

namespace rt = runtime::v1;
using berth::bench::Latencies;

constexpr char kRunLabel[] = "io.berth.bench.run";
// Ends at once on SIGTERM (Stop measures the runtime path, not a timeout):
// the shell waits in `wait`, which a trapped signal interrupts.
constexpr char kSleeper[] = "trap 'exit 0' TERM; while :; do sleep 1 & wait $!; done";

std::string Flag(int argc, char** argv, const std::string& name, const std::string& def) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (argv[i] == "--" + name) return argv[i + 1];
  }
  return def;
}

std::unique_ptr<grpc::ClientContext> Ctx() {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(120));
  return ctx;
}

struct BenchError {
  std::string what;
};

void Check(const grpc::Status& s, const std::string& what) {
  if (!s.ok()) throw BenchError{what + ": " + s.error_message()};
}

// "Rss:  1234 kB" style key of a /proc file, in kB; -1 when absent.
long KbOf(const std::string& path, const std::string& key) {
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(key + ":", 0) == 0) return std::stol(line.substr(key.size() + 1));
  }
  return -1;
}

struct Memory {
  int processes = 0;
  long rss_kb = 0;
  long pss_kb = 0;
};

// Every process whose command line names one of `ids` (conmon's --cid, the
// bundle paths runsc's sandbox, gofer and the shim carry).
Memory MemoryOf(const std::set<std::string>& ids) {
  Memory m;
  std::unique_ptr<DIR, int (*)(DIR*)> proc(opendir("/proc"), closedir);
  while (dirent* e = proc ? readdir(proc.get()) : nullptr) {
    const std::string pid = e->d_name;
    if (pid.empty() || pid.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in("/proc/" + pid + "/cmdline");
    std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    bool ours = false;
    for (const auto& id : ids) ours = ours || cmdline.find(id) != std::string::npos;
    if (!ours) continue;
    long rss = KbOf("/proc/" + pid + "/status", "VmRSS");
    long pss = KbOf("/proc/" + pid + "/smaps_rollup", "Pss");
    if (rss < 0) continue;
    ++m.processes;
    m.rss_kb += rss;
    m.pss_kb += pss > 0 ? pss : 0;
  }
  return m;
}

class GvisorBench {
 public:
  GvisorBench(std::shared_ptr<grpc::Channel> channel, std::string image)
      : runtime_(rt::RuntimeService::NewStub(channel)),
        images_(rt::ImageService::NewStub(channel)),
        image_(std::move(image)),
        tag_("gbench" + std::to_string(getpid())) {}
  ~GvisorBench() { Cleanup(); }

  void PullImage() {
    rt::PullImageRequest req;
    req.mutable_image()->set_image(image_);
    rt::PullImageResponse resp;
    Check(images_->PullImage(Ctx().get(), req, &resp), "pull " + image_);
  }

  // One pod with one container, through its whole life, timed step by step.
  void Cycle(const std::string& handler, int n) {
    Steps& s = steps_[handler];
    std::string pod, ctr;
    s.run.Measure([&] { pod = RunPod(handler, handler + "-" + std::to_string(n)); });
    s.create_start.Measure([&] { ctr = StartSleeper(pod); });
    s.exec.Measure([&] {
      rt::ExecSyncRequest req;
      req.set_container_id(ctr);
      req.add_cmd("true");
      req.set_timeout(30);
      rt::ExecSyncResponse resp;
      Check(runtime_->ExecSync(Ctx().get(), req, &resp), "exec in " + ctr);
      if (resp.exit_code() != 0) throw BenchError{"exec true in " + ctr + " failed"};
    });
    s.stop.Measure([&] {
      rt::StopContainerRequest req;
      req.set_container_id(ctr);
      req.set_timeout(10);
      rt::StopContainerResponse resp;
      Check(runtime_->StopContainer(Ctx().get(), req, &resp), "stop " + ctr);
    });
    s.remove.Measure([&] {
      rt::RemoveContainerRequest req;
      req.set_container_id(ctr);
      rt::RemoveContainerResponse resp;
      Check(runtime_->RemoveContainer(Ctx().get(), req, &resp), "remove " + ctr);
    });
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

  std::string RunPod(const std::string& handler, const std::string& name) {
    rt::RunPodSandboxRequest req;
    req.set_runtime_handler(handler);
    rt::PodSandboxConfig* c = req.mutable_config();
    c->mutable_metadata()->set_name(name);
    c->mutable_metadata()->set_namespace_("gvisor-bench");
    c->mutable_metadata()->set_uid(tag_ + "-" + name);
    c->set_log_directory("/tmp");
    (*c->mutable_labels())[kRunLabel] = tag_;
    rt::RunPodSandboxResponse resp;
    Check(runtime_->RunPodSandbox(Ctx().get(), req, &resp), "run pod " + name + " on " + handler);
    configs_[resp.pod_sandbox_id()] = *c;
    return resp.pod_sandbox_id();
  }

  std::string StartSleeper(const std::string& pod) {
    rt::CreateContainerRequest req;
    req.set_pod_sandbox_id(pod);
    *req.mutable_sandbox_config() = configs_[pod];
    rt::ContainerConfig* c = req.mutable_config();
    c->mutable_metadata()->set_name("sleeper");
    c->mutable_image()->set_image(image_);
    for (const char* a : {"/bin/sh", "-c", kSleeper}) c->add_command(a);
    rt::CreateContainerResponse created;
    Check(runtime_->CreateContainer(Ctx().get(), req, &created), "create in " + pod);
    rt::StartContainerRequest start;
    start.set_container_id(created.container_id());
    rt::StartContainerResponse started;
    Check(runtime_->StartContainer(Ctx().get(), start, &started), "start in " + pod);
    return created.container_id();
  }

  void RemovePod(const std::string& pod) {
    rt::StopPodSandboxRequest stop;
    stop.set_pod_sandbox_id(pod);
    rt::StopPodSandboxResponse stopped;
    Check(runtime_->StopPodSandbox(Ctx().get(), stop, &stopped), "stop pod " + pod);
    rt::RemovePodSandboxRequest rm;
    rm.set_pod_sandbox_id(pod);
    rt::RemovePodSandboxResponse removed;
    Check(runtime_->RemovePodSandbox(Ctx().get(), rm, &removed), "remove pod " + pod);
    configs_.erase(pod);
  }

  // Every pod of this run, whatever state it was left in.
  void Cleanup() {
    rt::ListPodSandboxRequest req;
    (*req.mutable_filter()->mutable_label_selector())[kRunLabel] = tag_;
    rt::ListPodSandboxResponse resp;
    if (!runtime_->ListPodSandbox(Ctx().get(), req, &resp).ok()) return;
    for (const auto& p : resp.items()) {
      try {
        RemovePod(p.id());
      } catch (const BenchError& e) {
        std::fprintf(stderr, "cleanup: %s\n", e.what.c_str());
      }
    }
  }

  std::unique_ptr<rt::RuntimeService::Stub> runtime_;
  std::unique_ptr<rt::ImageService::Stub> images_;
  std::string image_;
  std::string tag_;
  std::map<std::string, rt::PodSandboxConfig> configs_;
  std::map<std::string, Steps> steps_;
};

}  // namespace

int main(int argc, char** argv) {
  const std::string endpoint = berth::bench::EndpointFromArgs(argc, argv);
  const char* registry = std::getenv("BERTH_BENCH_REGISTRY");
  const std::string image =
      Flag(argc, argv, "image",
           std::string(registry ? registry : "127.0.0.1:5000") + "/berth-test/busybox:latest");
  const int runs = std::stoi(Flag(argc, argv, "runs", "10"));
  const int idle = std::stoi(Flag(argc, argv, "idle", "5"));
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
