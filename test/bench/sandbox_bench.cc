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
using berth::bench::BenchError;
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

// Removes the pods of `ids` (empty ones skipped), 4 callers at once; a
// failure is said on stderr (this is cleanup, nothing is timed).
void RemovePods(rt::RuntimeService::Stub& stub, const std::vector<std::string>& ids) {
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i = next++; i < ids.size(); i = next++) {
      if (ids[i].empty()) continue;
      grpc::ClientContext ctx;
      rt::RemovePodSandboxRequest req;
      req.set_pod_sandbox_id(ids[i]);
      rt::RemovePodSandboxResponse resp;
      grpc::Status s = stub.RemovePodSandbox(&ctx, req, &resp);
      if (!s.ok())
        std::fprintf(stderr, "cleanup: pod %s: %s\n", ids[i].c_str(), s.error_message().c_str());
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) threads.emplace_back(worker);
  for (auto& t : threads) t.join();
}

// Runs a pod through Run/Stop/Remove `runs` times, timing each call. A
// failed call ends the bench (BenchError) after removing the pod it made.
void BenchLifecycle(rt::RuntimeService::Stub& stub, int runs) {
  Latencies run, stop, remove;
  const std::string tag = std::to_string(getpid());
  for (int i = 0; i < runs; ++i) {
    rt::RunPodSandboxRequest rreq;
    *rreq.mutable_config() = Pod("bench-" + tag + "-" + std::to_string(i), false);
    rt::RunPodSandboxResponse rresp;
    run.MeasureCall("RunPodSandbox", [&] {
      grpc::ClientContext ctx;
      return stub.RunPodSandbox(&ctx, rreq, &rresp);
    });
    try {
      rt::StopPodSandboxRequest sreq;
      sreq.set_pod_sandbox_id(rresp.pod_sandbox_id());
      rt::StopPodSandboxResponse sresp;
      stop.MeasureCall("StopPodSandbox " + rresp.pod_sandbox_id(), [&] {
        grpc::ClientContext ctx;
        return stub.StopPodSandbox(&ctx, sreq, &sresp);
      });
      rt::RemovePodSandboxRequest mreq;
      mreq.set_pod_sandbox_id(rresp.pod_sandbox_id());
      rt::RemovePodSandboxResponse mresp;
      remove.MeasureCall("RemovePodSandbox " + rresp.pod_sandbox_id(), [&] {
        grpc::ClientContext ctx;
        return stub.RemovePodSandbox(&ctx, mreq, &mresp);
      });
    } catch (const BenchError&) {
      RemovePods(stub, {rresp.pod_sandbox_id()});
      throw;
    }
  }
  run.Print("RunPodSandbox (pod network)");
  stop.Print("StopPodSandbox (pod network)");
  remove.Print("RemovePodSandbox (pod network)");
}

// Starts `count` host-network pods (4 callers at once), times List, removes
// them. A pod that failed to start ends the bench: List would time another
// number of pods than it names.
void BenchList(rt::RuntimeService::Stub& stub, int count) {
  const std::string tag = std::to_string(getpid());
  std::vector<std::string> ids(static_cast<size_t>(count));
  std::atomic<int> next{0}, failed{0};
  std::string first_failure;
  auto t0 = std::chrono::steady_clock::now();
  auto worker = [&] {
    for (int i = next++; i < count; i = next++) {
      grpc::ClientContext ctx;
      rt::RunPodSandboxRequest req;
      *req.mutable_config() = Pod("list-" + tag + "-" + std::to_string(i), true);
      rt::RunPodSandboxResponse resp;
      grpc::Status s = stub.RunPodSandbox(&ctx, req, &resp);
      ids[static_cast<size_t>(i)] = resp.pod_sandbox_id();
      if (!s.ok() && failed++ == 0)
        first_failure = "pod " + std::to_string(i) + ": " + s.error_message();
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) threads.emplace_back(worker);
  for (auto& t : threads) t.join();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (failed > 0) {
    RemovePods(stub, ids);
    throw BenchError{std::to_string(failed.load()) + " of " + std::to_string(count) +
                     " host-network pods failed to start; first: " + first_failure};
  }
  std::printf("started %d host-network pods in %.1f s\n", count, secs);
  Latencies list;
  size_t seen = 0;
  try {
    for (int i = 0; i < 200; ++i) {
      rt::ListPodSandboxResponse resp;
      list.MeasureCall("ListPodSandbox", [&] {
        grpc::ClientContext ctx;
        return stub.ListPodSandbox(&ctx, rt::ListPodSandboxRequest(), &resp);
      });
      seen = static_cast<size_t>(resp.items_size());
      if (seen < static_cast<size_t>(count)) {
        throw BenchError{"ListPodSandbox listed " + std::to_string(seen) + " pods of the " +
                         std::to_string(count) + " started"};
      }
    }
  } catch (const BenchError&) {
    RemovePods(stub, ids);
    throw;
  }
  list.Print("ListPodSandbox (" + std::to_string(seen) + " pods)");
  t0 = std::chrono::steady_clock::now();
  RemovePods(stub, ids);
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
  if (list.is_discarded()) throw BenchError{"cannot read " + conflist_path};
  char tmpl[] = "/tmp/berth-bench-hand-XXXXXX";
  if (!mkdtemp(tmpl)) throw BenchError{"mkdtemp failed"};
  const std::string dir = tmpl, root = dir + "/runc";
  const std::string tag = "bh" + std::to_string(getpid());
  Latencies up, down;
  for (int i = 0; i < runs; ++i) {
    const std::string id = tag + "x" + std::to_string(i), bundle = dir + "/" + id;
    const std::string ns = tag + "n" + std::to_string(i), netns = "/run/netns/" + ns;
    bool ok = true;
    auto tear_down = [&] {
      bool down_ok = Exec({"/usr/sbin/runc", "--root", root, "kill", id, "KILL"}).code == 0;
      down_ok = CniChain(list, "DEL", id, netns) && down_ok;
      down_ok =
          Exec({"/usr/sbin/runc", "--root", root, "delete", "--force", id}).code == 0 && down_ok;
      down_ok = Exec({"/usr/sbin/ip", "netns", "del", ns}).code == 0 && down_ok;
      fs::remove_all(bundle);
      return down_ok;
    };
    // A failed step is not a latency: the run that failed is torn down and
    // the by-hand figures are not printed.
    try {
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
        ok = ok && Exec({"/usr/sbin/runc", "--root", root, "create", "--bundle", bundle, id}, {},
                        "", false)
                           .code == 0;
        ok = ok && Exec({"/usr/sbin/runc", "--root", root, "start", id}, {}, "", false).code == 0;
        ok = ok && CniChain(list, "ADD", id, netns);
        if (!ok) throw BenchError{"by-hand run " + std::to_string(i) + ": set-up failed"};
      });
      down.Measure([&] {
        if (!tear_down())
          throw BenchError{"by-hand run " + std::to_string(i) + ": tear-down failed"};
      });
    } catch (const BenchError&) {
      if (!ok) tear_down();
      fs::remove_all(dir);
      throw;
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
  if (grpc::Status s = stub->Status(&ctx, rt::StatusRequest(), &status); !s.ok()) {
    std::fprintf(stderr, "sandbox_bench: Status: %s\n", s.error_message().c_str());
    return 1;
  }
  bool network_ready = false;
  for (const auto& c : status.status().conditions()) {
    if (c.type() == "NetworkReady") network_ready = c.status();
  }
  try {
    if (network_ready) {
      BenchLifecycle(*stub, runs);
    } else {
      std::printf("pod network not ready (no CNI config): pod-network figures skipped\n");
    }
    if (list_pods > 0) BenchList(*stub, list_pods);
    std::string conflist = Flag(argc, argv, "by-hand-conflist", "");
    std::string pause = Flag(argc, argv, "pause", "");
    if (!conflist.empty() && !pause.empty()) BenchByHand(conflist, pause, runs);
  } catch (const BenchError& e) {
    std::fprintf(stderr, "sandbox_bench: %s\n", e.what.c_str());
    return 1;
  }
  return 0;
}
