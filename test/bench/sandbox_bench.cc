// Pod sandbox latencies against any CRI endpoint: RunPodSandbox,
// StopPodSandbox and RemovePodSandbox with the endpoint's pod network (bridge
// in berth's default config), ListPodSandbox with 1,000 host-network pods
// present, and, for comparison, the same steps done by hand: a network
// namespace, the CNI plugin chain run directly, runc create + start on a
// minimal bundle (no conmon).
//
//   sandbox_bench [--endpoint unix:///...] [--runs 50] [--list-pods 1000]
//                 [--by-hand-conflist FILE --pause BERTH_PAUSE]
#include <fcntl.h>
#include <grpcpp/grpcpp.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "runtime/v1/api.grpc.pb.h"
#include "test/bench/bench_util.h"

extern char** environ;

namespace {

namespace rt = runtime::v1;
using berth::bench::Latencies;

std::string Flag(int argc, char** argv, const std::string& name, const std::string& def) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (argv[i] == "--" + name) return argv[i + 1];
  }
  return def;
}

rt::PodSandboxConfig Pod(const std::string& name, bool host_network) {
  rt::PodSandboxConfig c;
  c.mutable_metadata()->set_name(name);
  c.mutable_metadata()->set_namespace_("bench");
  c.mutable_metadata()->set_uid(name);
  c.set_hostname(name);
  if (host_network) {
    c.mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_network(
        rt::NODE);
  }
  return c;
}

bool Check(const grpc::Status& s, const char* what) {
  if (!s.ok()) std::fprintf(stderr, "%s failed: %s\n", what, s.error_message().c_str());
  return s.ok();
}

// Runs a pod through Run/Stop/Remove `runs` times, timing each call.
void BenchLifecycle(rt::RuntimeService::Stub& stub, int runs) {
  Latencies run, stop, remove;
  const std::string tag = std::to_string(getpid());
  for (int i = 0; i < runs; ++i) {
    rt::RunPodSandboxRequest rreq;
    *rreq.mutable_config() = Pod("bench-" + tag + "-" + std::to_string(i), false);
    rt::RunPodSandboxResponse rresp;
    grpc::Status s;
    run.Measure([&] {
      grpc::ClientContext ctx;
      s = stub.RunPodSandbox(&ctx, rreq, &rresp);
    });
    if (!Check(s, "RunPodSandbox")) return;
    rt::StopPodSandboxRequest sreq;
    sreq.set_pod_sandbox_id(rresp.pod_sandbox_id());
    rt::StopPodSandboxResponse sresp;
    stop.Measure([&] {
      grpc::ClientContext ctx;
      s = stub.StopPodSandbox(&ctx, sreq, &sresp);
    });
    if (!Check(s, "StopPodSandbox")) return;
    rt::RemovePodSandboxRequest mreq;
    mreq.set_pod_sandbox_id(rresp.pod_sandbox_id());
    rt::RemovePodSandboxResponse mresp;
    remove.Measure([&] {
      grpc::ClientContext ctx;
      s = stub.RemovePodSandbox(&ctx, mreq, &mresp);
    });
    if (!Check(s, "RemovePodSandbox")) return;
  }
  run.Print("RunPodSandbox (pod network)");
  stop.Print("StopPodSandbox (pod network)");
  remove.Print("RemovePodSandbox (pod network)");
}

// Starts `count` host-network pods (4 callers at once), times List, removes them.
void BenchList(rt::RuntimeService::Stub& stub, int count) {
  const std::string tag = std::to_string(getpid());
  std::vector<std::string> ids(static_cast<size_t>(count));
  std::atomic<int> next{0}, failed{0};
  auto t0 = std::chrono::steady_clock::now();
  auto worker = [&](bool create) {
    for (int i = next++; i < count; i = next++) {
      grpc::ClientContext ctx;
      grpc::Status s;
      if (create) {
        rt::RunPodSandboxRequest req;
        *req.mutable_config() = Pod("list-" + tag + "-" + std::to_string(i), true);
        rt::RunPodSandboxResponse resp;
        s = stub.RunPodSandbox(&ctx, req, &resp);
        ids[static_cast<size_t>(i)] = resp.pod_sandbox_id();
      } else if (!ids[static_cast<size_t>(i)].empty()) {
        rt::RemovePodSandboxRequest req;
        req.set_pod_sandbox_id(ids[static_cast<size_t>(i)]);
        rt::RemovePodSandboxResponse resp;
        s = stub.RemovePodSandbox(&ctx, req, &resp);
      }
      if (!s.ok() && failed++ == 0)
        std::fprintf(stderr, "pod %d: %s\n", i, s.error_message().c_str());
    }
  };
  auto run_all = [&](bool create) {
    next = 0;
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) threads.emplace_back(worker, create);
    for (auto& t : threads) t.join();
  };
  run_all(true);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("started %d host-network pods in %.1f s (%d failed)\n", count, secs, failed.load());
  Latencies list;
  size_t seen = 0;
  for (int i = 0; i < 200; ++i) {
    list.Measure([&] {
      grpc::ClientContext ctx;
      rt::ListPodSandboxResponse resp;
      stub.ListPodSandbox(&ctx, rt::ListPodSandboxRequest(), &resp);
      seen = static_cast<size_t>(resp.items_size());
    });
  }
  list.Print("ListPodSandbox (" + std::to_string(seen) + " pods)");
  t0 = std::chrono::steady_clock::now();
  run_all(false);
  secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("removed them in %.1f s\n", secs);
}

// --- by hand -------------------------------------------------------------

struct Proc {
  int code = -1;
  std::string out;
};

// `capture` = false sends stdout to /dev/null: runc create hands its stdio to
// the container process, which would hold a capture pipe open for its life.
Proc Exec(const std::vector<std::string>& argv, const std::vector<std::string>& env = {},
          const std::string& input = "", bool capture = true) {
  int in[2], out[2];
  if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) return {};
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in[0], 0);
  if (capture) {
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  } else {
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  }
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  std::vector<char*> args, envp;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  for (char** e = environ; *e; ++e) envp.push_back(*e);
  for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  pid_t pid;
  int rc = posix_spawn(&pid, args[0], &fa, nullptr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  close(in[0]);
  close(out[1]);
  Proc p;
  if (rc == 0) {
    (void)!write(in[1], input.data(), input.size());
  }
  close(in[1]);
  char buf[4096];
  for (ssize_t n; (n = read(out[0], buf, sizeof buf)) > 0;)
    p.out.append(buf, static_cast<size_t>(n));
  close(out[0]);
  if (rc != 0) return p;
  int st = 0;
  waitpid(pid, &st, 0);
  p.code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return p;
}

// The conflist's chain, run directly (ADD forward with prevResult, DEL in reverse).
bool CniChain(const nlohmann::json& list, const std::string& cmd, const std::string& id,
              const std::string& netns) {
  std::vector<nlohmann::json> plugins(list["plugins"].begin(), list["plugins"].end());
  if (cmd == "DEL") std::reverse(plugins.begin(), plugins.end());
  nlohmann::json prev;
  for (auto conf : plugins) {
    conf["cniVersion"] = list["cniVersion"];
    conf["name"] = list["name"];
    if (!prev.is_null()) conf["prevResult"] = prev;
    Proc p = Exec({"/usr/lib/cni/" + conf["type"].get<std::string>()},
                  {"CNI_COMMAND=" + cmd, "CNI_CONTAINERID=" + id, "CNI_NETNS=" + netns,
                   "CNI_IFNAME=eth0", "CNI_PATH=/usr/lib/cni"},
                  conf.dump());
    if (p.code != 0) {
      std::fprintf(stderr, "CNI %s %s: %s\n", cmd.c_str(), conf["type"].dump().c_str(),
                   p.out.c_str());
      return false;
    }
    if (cmd == "ADD") prev = nlohmann::json::parse(p.out, nullptr, false);
  }
  return true;
}

void BenchByHand(const std::string& conflist_path, const std::string& pause, int runs) {
  namespace fs = std::filesystem;
  nlohmann::json list = nlohmann::json::parse(std::ifstream(conflist_path), nullptr, false);
  if (list.is_discarded()) {
    std::fprintf(stderr, "cannot read %s\n", conflist_path.c_str());
    return;
  }
  char tmpl[] = "/tmp/berth-bench-hand-XXXXXX";
  if (!mkdtemp(tmpl)) return;
  const std::string dir = tmpl, root = dir + "/runc";
  const std::string tag = "bh" + std::to_string(getpid());
  Latencies up, down;
  for (int i = 0; i < runs; ++i) {
    const std::string id = tag + "x" + std::to_string(i), bundle = dir + "/" + id;
    const std::string ns = tag + "n" + std::to_string(i), netns = "/run/netns/" + ns;
    bool ok = true;
    up.Measure([&] {
      // The same steps as RunPodSandbox: bundle + rootfs, netns, runc, CNI.
      fs::create_directories(bundle + "/rootfs");
      for (const char* d : {"proc", "dev", "sys", "etc"})
        fs::create_directories(bundle + "/rootfs/" + d);
      fs::copy_file(pause, bundle + "/rootfs/pause");
      ok = Exec({"/usr/sbin/runc", "spec", "--bundle", bundle}).code == 0;
      nlohmann::json spec = nlohmann::json::parse(std::ifstream(bundle + "/config.json"));
      spec["process"]["args"] = {"/pause"};
      spec["process"]["terminal"] = false;
      spec["hostname"] = id;
      for (auto& n : spec["linux"]["namespaces"]) {
        if (n["type"] == "network") n["path"] = netns;
      }
      std::ofstream(bundle + "/config.json") << spec.dump();
      ok = ok && Exec({"/usr/sbin/ip", "netns", "add", ns}).code == 0;
      ok = ok &&
           Exec({"/usr/sbin/runc", "--root", root, "create", "--bundle", bundle, id}, {}, "", false)
                   .code == 0;
      ok = ok && Exec({"/usr/sbin/runc", "--root", root, "start", id}, {}, "", false).code == 0;
      ok = ok && CniChain(list, "ADD", id, netns);
    });
    down.Measure([&] {
      Exec({"/usr/sbin/runc", "--root", root, "kill", id, "KILL"});
      CniChain(list, "DEL", id, netns);
      Exec({"/usr/sbin/runc", "--root", root, "delete", "--force", id});
      Exec({"/usr/sbin/ip", "netns", "del", ns});
      fs::remove_all(bundle);
    });
    if (!ok) {
      std::fprintf(stderr, "by-hand run %d failed\n", i);
      break;
    }
  }
  up.Print("by hand: netns+runc create/start+CNI ADD");
  down.Print("by hand: runc kill/delete+CNI DEL");
  fs::remove_all(dir);
}

}  // namespace

int main(int argc, char** argv) {
  setvbuf(stdout, nullptr, _IOLBF, 0);  // figures survive an interrupted run
  std::string endpoint = berth::bench::EndpointFromArgs(argc, argv);
  const int runs = std::stoi(Flag(argc, argv, "runs", "50"));
  const int list_pods = std::stoi(Flag(argc, argv, "list-pods", "1000"));
  auto channel = grpc::CreateChannel(endpoint, grpc::InsecureChannelCredentials());
  if (!channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(10))) {
    std::fprintf(stderr, "cannot connect to %s\n", endpoint.c_str());
    return 1;
  }
  auto stub = rt::RuntimeService::NewStub(channel);

  grpc::ClientContext ctx;
  rt::StatusResponse status;
  stub->Status(&ctx, rt::StatusRequest(), &status);
  bool network_ready = false;
  for (const auto& c : status.status().conditions()) {
    if (c.type() == "NetworkReady") network_ready = c.status();
  }
  if (network_ready) {
    BenchLifecycle(*stub, runs);
  } else {
    std::printf("pod network not ready (no CNI config): pod-network figures skipped\n");
  }
  if (list_pods > 0) BenchList(*stub, list_pods);
  std::string conflist = Flag(argc, argv, "by-hand-conflist", "");
  std::string pause = Flag(argc, argv, "pause", "");
  if (!conflist.empty() && !pause.empty()) BenchByHand(conflist, pause, runs);
  return 0;
}
