// restore_bench: how long berthd takes to come back with many objects on
// disk. Starts its own berthd (it must restart it) in a temporary directory,
// creates --pods host-network pods holding --containers busybox containers
// (half of them running), then restarts berthd --restarts times and prints
// the time from exec to serving and the restore time berthd logs.
//
//   restore_bench --berthd build/cmd/berthd/berthd [--pods 100] [--containers 200]
//                 [--restarts 5]      (BERTH_BENCH_REGISTRY: host:port with the test images)
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "runtime/v1/api.grpc.pb.h"
#include "test/bench/bench_util.h"

namespace rt = runtime::v1;
namespace fs = std::filesystem;

namespace {

std::string Arg(int argc, char** argv, const std::string& name, const std::string& fallback) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (argv[i] == name) return argv[i + 1];
  }
  return fallback;
}

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "restore_bench: %s\n", what.c_str());
  std::exit(1);
}

struct Daemon {
  std::string binary, dir, config, log;
  pid_t pid = -1;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<rt::RuntimeService::Stub> runtime;
  std::unique_ptr<rt::ImageService::Stub> image;

  // Starts berthd; returns the milliseconds from fork to a connected channel.
  double Start() {
    auto t0 = std::chrono::steady_clock::now();
    pid = fork();
    if (pid == 0) {
      FILE* out = std::freopen(log.c_str(), "a", stderr);
      (void)out;
      dup2(2, 1);
      execl(binary.c_str(), binary.c_str(), "--config", config.c_str(), nullptr);
      _exit(127);
    }
    channel = grpc::CreateChannel("unix://" + dir + "/run/berth.sock",
                                  grpc::InsecureChannelCredentials());
    while (!channel->WaitForConnected(std::chrono::system_clock::now() +
                                      std::chrono::milliseconds(2))) {
      int status;
      if (waitpid(pid, &status, WNOHANG) == pid) Die("berthd exited; see " + log);
      if (std::chrono::steady_clock::now() - t0 > std::chrono::seconds(120))
        Die("berthd not serving");
    }
    double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    runtime = rt::RuntimeService::NewStub(channel);
    image = rt::ImageService::NewStub(channel);
    return ms;
  }
  void Stop() {
    runtime.reset();
    image.reset();
    channel.reset();
    if (pid <= 0) return;
    kill(pid, SIGTERM);
    int status;
    waitpid(pid, &status, 0);
    pid = -1;
  }
};

std::unique_ptr<grpc::ClientContext> Ctx() {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(120));
  return ctx;
}

void Check(const grpc::Status& s, const std::string& what) {
  if (!s.ok()) Die(what + ": " + s.error_message());
}

// Every "restore: ... in X ms" figure berthd logged, in order.
std::vector<double> LoggedRestoreTimes(const std::string& log) {
  std::ifstream in(log);
  std::string line;
  std::vector<double> out;
  while (std::getline(in, line)) {
    // "... restore: N pod sandbox(es) ... in 12.3 ms"
    const size_t in_at = line.rfind(" in ");
    if (line.find("restore: ") == std::string::npos || in_at == std::string::npos ||
        !line.ends_with(" ms")) {
      continue;
    }
    out.push_back(std::strtod(line.c_str() + in_at + 4, nullptr));
  }
  return out;
}

// Dies unless berthd lists exactly `pods` ready pods and `containers`
// containers, `running` of them running.
void ExpectAllRestored(Daemon& d, int pods, int containers, int running) {
  rt::ListPodSandboxResponse presp;
  Check(d.runtime->ListPodSandbox(Ctx().get(), rt::ListPodSandboxRequest(), &presp),
        "ListPodSandbox after restart");
  int ready = 0;
  for (const auto& p : presp.items()) ready += p.state() == rt::SANDBOX_READY;
  rt::ListContainersResponse cresp;
  Check(d.runtime->ListContainers(Ctx().get(), rt::ListContainersRequest(), &cresp),
        "ListContainers after restart");
  int up = 0;
  for (const auto& c : cresp.containers()) up += c.state() == rt::CONTAINER_RUNNING;
  if (presp.items_size() != pods || ready != pods || cresp.containers_size() != containers ||
      up != running) {
    Die("after restart: " + std::to_string(presp.items_size()) + " pods (" + std::to_string(ready) +
        " ready) and " + std::to_string(cresp.containers_size()) + " containers (" +
        std::to_string(up) + " running) came back; expected " + std::to_string(pods) +
        " ready pods and " + std::to_string(containers) + " containers (" +
        std::to_string(running) + " running); see " + d.log);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const int pods = std::stoi(Arg(argc, argv, "--pods", "100"));
  const int containers = std::stoi(Arg(argc, argv, "--containers", "200"));
  const int restarts = std::stoi(Arg(argc, argv, "--restarts", "5"));
  const char* registry = std::getenv("BERTH_BENCH_REGISTRY");
  if (registry == nullptr) Die("BERTH_BENCH_REGISTRY is not set (hack/bench.sh sets it)");
  Daemon d;
  d.binary = Arg(argc, argv, "--berthd", "");
  if (d.binary.empty()) {
    d.binary = (fs::read_symlink("/proc/self/exe").parent_path() / "../../cmd/berthd/berthd")
                   .lexically_normal();
  }
  char tmpl[] = "/tmp/berth-restore-bench-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) Die("mkdtemp failed");
  d.dir = tmpl;
  d.config = d.dir + "/berth.yaml";
  d.log = d.dir + "/berthd.log";
  std::ofstream(d.config) << "root: " << d.dir << "/root\nrunroot: " << d.dir << "/run\n"
                          << "listen: " << d.dir << "/run/berth.sock\n"
                          << "shutdown_file: " << d.dir << "/root/berth.shutdown\n"
                          << "log_level: info\n"
                          << "cni: {conf_dir: " << d.dir << "/cni}\n"
                          << "runtimes: {runc: {root: " << d.dir << "/run/runc}}\n"
                          << "registries: {\"" << registry << "\": {insecure: true}}\n";
  d.Start();
  const std::string image = std::string(registry) + "/berth-test/busybox:latest";
  {
    rt::PullImageRequest req;
    req.mutable_image()->set_image(image);
    rt::PullImageResponse resp;
    Check(d.image->PullImage(Ctx().get(), req, &resp), "pull " + image);
  }
  std::printf("setting up %d pods and %d containers...\n", pods, containers);
  std::vector<std::string> pod_ids;
  for (int p = 0; p < pods; ++p) {
    rt::RunPodSandboxRequest req;
    auto* c = req.mutable_config();
    c->mutable_metadata()->set_name("bench" + std::to_string(p));
    c->mutable_metadata()->set_namespace_("bench");
    c->mutable_metadata()->set_uid("uid-" + std::to_string(p));
    c->set_log_directory(d.dir + "/logs");
    c->mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_network(
        rt::NODE);
    rt::RunPodSandboxResponse resp;
    Check(d.runtime->RunPodSandbox(Ctx().get(), req, &resp), "RunPodSandbox");
    pod_ids.push_back(resp.pod_sandbox_id());
  }
  for (int i = 0; i < containers; ++i) {
    rt::CreateContainerRequest req;
    req.set_pod_sandbox_id(pod_ids[i % pods]);
    auto* c = req.mutable_config();
    c->mutable_metadata()->set_name("c" + std::to_string(i));
    c->mutable_image()->set_image(image);
    c->add_command("sleep");
    c->add_command("100000");
    c->set_log_path("c" + std::to_string(i) + ".log");
    rt::CreateContainerResponse resp;
    Check(d.runtime->CreateContainer(Ctx().get(), req, &resp), "CreateContainer");
    if (i % 2 == 0) {
      rt::StartContainerRequest start;
      start.set_container_id(resp.container_id());
      rt::StartContainerResponse started;
      Check(d.runtime->StartContainer(Ctx().get(), start, &started), "StartContainer");
    }
  }
  berth::bench::Latencies to_serving;
  for (int r = 0; r < restarts; ++r) {
    d.Stop();
    to_serving.Measure([&] { d.Start(); });
    // A restart that lost objects would time less work: the figure counts
    // only when everything came back, the running half still running.
    ExpectAllRestored(d, pods, containers, (containers + 1) / 2);
  }
  char what[128];
  std::snprintf(what, sizeof what, "berthd exec -> serving (%d pods, %d ctrs)", pods, containers);
  to_serving.Print(what);
  // The restarts' own figures: the last `restarts` lines of the log.
  std::vector<double> logged = LoggedRestoreTimes(d.log);
  if (logged.size() >= static_cast<size_t>(restarts) && restarts > 0) {
    std::vector<double> mine(logged.end() - restarts, logged.end());
    std::sort(mine.begin(), mine.end());
    std::printf("%-40s n=%-5zu median=%8.3f ms  max=%8.3f ms\n", "restore() as logged by berthd",
                mine.size(), mine[mine.size() / 2], mine.back());
  }
  // Clean up: every pod (and its containers), then berthd and the directory.
  for (const auto& id : pod_ids) {
    rt::RemovePodSandboxRequest req;
    req.set_pod_sandbox_id(id);
    rt::RemovePodSandboxResponse resp;
    (void)d.runtime->RemovePodSandbox(Ctx().get(), req, &resp);
  }
  d.Stop();
  umount2((d.dir + "/run/ns").c_str(), MNT_DETACH);
  std::error_code ec;
  fs::remove_all(d.dir, ec);
  return 0;
}
