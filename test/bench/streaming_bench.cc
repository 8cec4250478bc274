// Streaming (Exec, Attach, PortForward over SPDY/3.1) against any CRI
// endpoint, with the streaming unit tests' kubelet-like client
// (test/unit/streaming/stream_server_test_util.h: the HTTP/1.1 upgrade, then
// pkg/streaming's SPDY session as client, sending no WINDOW_UPDATE as
// client-go does):
//   - exec round trip of `true`: the Exec call, the upgrade, the streams, to
//     the status on the error stream; ExecSync of `true` alternating with it
//     in the same run, for comparison (--runs each), and the median of each
//     pair's difference; the median time at which each step of the Exec
//     ended (answer, upgrade, each stream's reply, output's end, status);
//   - port-forward into a pod on the endpoint's pod network: throughput of
//     one --transfer-mib MiB download (busybox nc + dd in the pod), and the
//     same download over a direct TCP connection to the pod's IP; with
//     --crictl, also through upstream `crictl port-forward` (client-go) with
//     a plain TCP client on its local port: the bench's own client is the
//     same C++ SPDY code as berthd's and spends as much CPU as berthd does,
//     so that figure shows berthd's cost beside an efficient client; connection
//     set-up to first byte (--connections each) for a new connection in an
//     open session, a new session (PortForward call, upgrade, streams), and
//     a direct TCP connection;
//   - memory per idle attach session: berthd's VmRSS (and threads) before and
//     with --attaches sessions attached to a silent container, divided; the
//     container's conmon beside it.
// No process start-up is timed (no crictl). A failed call ends the bench
// (after cleanup) with its message.
//
//   streaming_bench [--endpoint unix:///...] [--image REF] [--pid BERTHD_PID]
//                   [--runs 50] [--transfer-mib 1024] [--connections 50] [--attaches 50]
//                   [--crictl PATH]
// --image defaults to $BERTH_BENCH_REGISTRY/berth-test/busybox:latest; --pid
// to $BERTH_PID (without it the memory figures are skipped). Every pod the
// bench makes carries io.berth.bench.run=<tag> and is removed at the end.
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <grpcpp/grpcpp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "pkg/fs/scoped_fd.h"
#include "test/bench/bench_util.h"
#include "test/bench/cri_bench_client.h"
#include "test/bench/proc_memory.h"
#include "test/integration/harness/loopback_port.h"
#include "test/unit/streaming/stream_server_test_util.h"

namespace {

namespace bench = berth::bench;
namespace rt = runtime::v1;
namespace fs = std::filesystem;
using bench::BenchError;
using bench::Check;
using bench::Ctx;
using bench::Latencies;
using berth::ScopedFd;
namespace st = berth::streaming::testing;
using Session = st::ClientSession;
using Clock = std::chrono::steady_clock;

constexpr int kBulkPort = 5001;   // sends --transfer-mib MiB of zeros per connection
constexpr int kHelloPort = 5002;  // sends one line per connection
constexpr size_t kMiB = 1 << 20;

template <typename T>
T Must(berth::Result<T> r, const std::string& what) {
  if (!r.ok()) throw BenchError{what + ": " + r.status().message()};
  return std::move(r).value();
}

void Must(const berth::Status& s, const std::string& what) {
  if (!s.ok()) throw BenchError{what + ": " + s.message()};
}

// The pid of the conmon whose --cid is `id` ("" when none).
std::string ConmonOf(const std::string& id) {
  const auto conmons = bench::ConmonPidsByContainer();
  const auto it = conmons.find(id);
  return it == conmons.end() ? "" : it->second;
}

size_t OpenFds(const std::string& pid) {
  std::error_code ec;
  size_t n = 0;
  for (auto it = fs::directory_iterator("/proc/" + pid + "/fd", ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    ++n;
  }
  return n;
}

// A blocking TCP connection to ip:port.
ScopedFd Connect(const std::string& ip, int port) {
  ScopedFd s(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, ip.c_str(), &a.sin_addr) != 1) throw BenchError{"bad pod IP " + ip};
  if (connect(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return ScopedFd();
  int one = 1;
  setsockopt(s.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return s;
}

// Reads a socket to its end; returns the byte count.
size_t Drain(int fd) {
  static char buf[256 * 1024];
  size_t total = 0;
  while (true) {
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return total;
    total += static_cast<size_t>(n);
  }
}

size_t Drain(berth::streaming::spdy::Stream& s) {
  static char buf[256 * 1024];
  size_t total = 0;
  while (true) {
    size_t n = Must(s.Read(buf, sizeof buf), "port-forward data stream");
    if (n == 0) return total;
    total += n;
  }
}

int FreeLoopbackPort() {
  const int port = berth::testing::FreeLoopbackPort();
  if (port < 0) throw BenchError{"no free loopback port"};
  return port;
}

extern "C" char** environ;

// `crictl port-forward POD LOCAL:REMOTE` running until destroyed; the
// constructor returns once crictl says it listens (its start-up is not
// part of any figure).
class CrictlForward {
 public:
  CrictlForward(const std::string& crictl, const std::string& endpoint, const std::string& pod,
                int local, int remote) {
    int out[2];
    if (pipe2(out, O_CLOEXEC) != 0) throw BenchError{"pipe"};
    ScopedFd read_end(out[0]), write_end(out[1]);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_adddup2(&fa, out[1], 2);
    const std::string ports = std::to_string(local) + ":" + std::to_string(remote);
    std::vector<std::string> args = {crictl, "--runtime-endpoint", endpoint, "port-forward", pod,
                                     ports};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    const int rc = posix_spawn(&pid_, crictl.c_str(), &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) throw BenchError{"cannot run " + crictl + ": " + std::strerror(rc)};
    write_end.reset();
    // client-go prints "Forwarding from 127.0.0.1:LOCAL -> REMOTE" once it listens.
    std::string said;
    char buf[512];
    while (said.find("Forwarding from") == std::string::npos) {
      ssize_t n = read(read_end.get(), buf, sizeof buf);
      if (n <= 0) throw BenchError{"crictl port-forward ended: " + said};
      said.append(buf, static_cast<size_t>(n));
    }
    output_ = std::move(read_end);  // kept open so crictl's later writes do not fail
  }
  ~CrictlForward() {
    kill(pid_, SIGTERM);
    int status;
    waitpid(pid_, &status, 0);
  }

 private:
  pid_t pid_ = -1;
  ScopedFd output_;
};

// The TCP port of a streaming URL (http://127.0.0.1:<port>/...).
uint16_t UrlPort(const std::string& url) {
  const size_t host = url.find("://") + 3;
  const size_t colon = url.find(':', host), slash = url.find('/', host);
  if (colon >= slash) throw BenchError{"no port in " + url};
  return static_cast<uint16_t>(std::stoi(url.substr(colon + 1, slash - colon - 1)));
}

std::unique_ptr<Session> Dial(const std::string& url, const std::string& protocol) {
  st::Upgraded u = st::ExchangeUpgrade(st::ConnectTcp(UrlPort(url)),
                                       st::UpgradeRequestText(st::PathOf(url), {protocol}));
  if (u.response.code != 101) {
    throw BenchError{"upgrade of " + url + ": HTTP " + std::to_string(u.response.code) + " " +
                     u.response.body};
  }
  return std::make_unique<Session>(std::move(u.transport));
}

std::shared_ptr<berth::streaming::spdy::Stream> Open(Session& s,
                                                     const berth::streaming::spdy::HeaderBlock& h) {
  std::shared_ptr<berth::streaming::spdy::Stream> stream = s.Open(h);
  if (!stream) throw BenchError{"a stream was not opened"};
  return stream;
}

struct Forward {
  std::shared_ptr<berth::streaming::spdy::Stream> error, data;
};

// A download-only forwarded connection: the client half-closes its data
// stream at once (it sends nothing), so the pair ends as soon as the pod's
// side has, with no linger.
Forward OpenForward(Session& s, int port, int request_id) {
  const std::string p = std::to_string(port), id = std::to_string(request_id);
  Forward f;
  f.error = Open(s, {{"streamType", "error"}, {"port", p}, {"requestID", id}});
  f.data = Open(s, {{"streamType", "data"}, {"port", p}, {"requestID", id}});
  Must(f.data->CloseWrite(), "half-close of a data stream");
  return f;
}

// Reads a stream to its end (no deadline: a stuck bench is visible).
std::string ReadAll(berth::streaming::spdy::Stream& s) {
  std::string out;
  char buf[4096];
  while (size_t n = Must(s.Read(buf, sizeof buf), "stream read")) out.append(buf, n);
  return out;
}

// When each step of an exec round trip ended, from the Exec call's start:
// the medians show where the round trip's time goes (the runtime's exec
// starts on berthd's side once the upgrade is in).
class ExecSteps {
 public:
  enum Step { kAnswered, kUpgraded, kErrorReplied, kStdoutReplied, kOutputEnded, kStatus, kClosed };
  void Mark(Step step, Clock::time_point start) {
    at_[step].push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
  }
  void Print() const {
    for (size_t i = 0; i < kSteps; ++i) {
      std::printf("  %-38s median at %8.3f ms\n", kNames[i], bench::Median(at_[i]));
    }
  }

 private:
  static constexpr size_t kSteps = kClosed + 1;
  static constexpr const char* kNames[kSteps] = {
      "Exec call answered",    "connected, 101 read",         "error stream replied",
      "stdout stream replied", "stdout's FIN (output ended)", "status and FIN on error",
      "session closed",
  };
  std::vector<double> at_[kSteps];
};

class StreamingBench {
 public:
  StreamingBench(const std::shared_ptr<grpc::Channel>& channel, std::string image, std::string pid)
      : cri_(channel, std::move(image), "sbench", "/tmp/berth-sbench-logs-XXXXXX"),
        pid_(std::move(pid)) {}

  void PullImage() { cri_.PullImage(); }

  void ExecRoundTrip(int runs) {
    const std::string pod = cri_.RunPod("exec", true);
    const std::string id = StartContainer(pod, "exec", "exec sleep 3600", false);
    Latencies streamed, sync;
    // Each Exec is paired with the ExecSync after it: the median of the
    // pairs' differences is steadier than a difference of two medians when
    // the node's load drifts.
    std::vector<double> differences;
    int exec_not_slower = 0;
    ExecSteps steps;
    for (int i = 0; i < runs; ++i) {
      const double exec_ms = streamed.Measure([&] {
        const auto t0 = Clock::now();
        rt::ExecRequest req;
        req.set_container_id(id);
        req.add_cmd("true");
        req.set_stdout(true);
        rt::ExecResponse resp;
        Check(cri_.runtime().Exec(Ctx().get(), req, &resp), "Exec true");
        steps.Mark(ExecSteps::kAnswered, t0);
        std::unique_ptr<Session> session = Dial(resp.url(), "v4.channel.k8s.io");
        steps.Mark(ExecSteps::kUpgraded, t0);
        auto error = Open(*session, {{"streamType", "error"}});
        steps.Mark(ExecSteps::kErrorReplied, t0);
        auto out = Open(*session, {{"streamType", "stdout"}});
        steps.Mark(ExecSteps::kStdoutReplied, t0);
        ReadAll(*out);
        steps.Mark(ExecSteps::kOutputEnded, t0);
        const std::string status = ReadAll(*error);
        steps.Mark(ExecSteps::kStatus, t0);
        if (status.find("\"Success\"") == std::string::npos) {
          throw BenchError{"exec of true did not succeed: " + status};
        }
        session.reset();
        steps.Mark(ExecSteps::kClosed, t0);
      });
      const double sync_ms = sync.Measure([&] { cri_.ExecSyncTrue(id); });
      differences.push_back(exec_ms - sync_ms);
      if (exec_ms <= sync_ms) ++exec_not_slower;
    }
    streamed.Print("Exec + SPDY session (true)");
    steps.Print();
    sync.Print("ExecSync (true), same run");
    std::printf("%-40s n=%-5d median=%+8.3f ms  Exec not slower in %d of %d pairs\n",
                "Exec minus ExecSync, paired", runs, bench::Median(differences), exec_not_slower,
                runs);
    cri_.RemovePod(pod);
  }

  // `crictl` empty: no figure through crictl port-forward.
  void PortForward(int transfer_mib, int transfers, int connections, const std::string& crictl,
                   const std::string& endpoint) {
    const std::string pod = cri_.RunPod("pf", false);
    const std::string script =
        "nc -ll -p " + std::to_string(kBulkPort) +
        " -e /bin/dd if=/dev/zero bs=1M count=" + std::to_string(transfer_mib) +
        " & exec nc -ll -p " + std::to_string(kHelloPort) + " -e /bin/echo hello";
    StartContainer(pod, "pf", script, false);
    rt::PodSandboxStatusRequest sreq;
    sreq.set_pod_sandbox_id(pod);
    rt::PodSandboxStatusResponse sresp;
    Check(cri_.runtime().PodSandboxStatus(Ctx().get(), sreq, &sresp), "PodSandboxStatus");
    const std::string ip = sresp.status().network().ip();
    if (ip.empty()) throw BenchError{"the pod has no IP (no pod network on this endpoint?)"};
    // nc has no readiness signal: connect until it answers, against a deadline.
    auto deadline = Clock::now() + std::chrono::seconds(30);
    while (!Connect(ip, kHelloPort)) {
      if (Clock::now() > deadline) throw BenchError{"nc in the pod never listened"};
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }

    // Throughput: `transfers` downloads each way, alternating so that drift
    // in the node's load touches both alike; one 1 GiB transfer alone varied
    // from 1.8x to 2.4x between runs on a quiet node.
    const size_t want = static_cast<size_t>(transfer_mib) * kMiB;
    std::vector<double> direct_times, forwarded_times;
    std::unique_ptr<Session> session = NewSession(pod);
    for (int round = 0; round < transfers; ++round) {
      auto t0 = Clock::now();
      ScopedFd direct = Connect(ip, kBulkPort);
      if (!direct) throw BenchError{"direct connect to the pod"};
      size_t got = Drain(direct.get());
      direct_times.push_back(bench::SecondsSince(t0));
      if (got != want) throw BenchError{"direct download: " + std::to_string(got) + " bytes"};

      t0 = Clock::now();
      Forward bulk = OpenForward(*session, kBulkPort, round);
      got = Drain(*bulk.data);
      forwarded_times.push_back(bench::SecondsSince(t0));
      if (got != want) throw BenchError{"forwarded download: " + std::to_string(got) + " bytes"};
      std::string error = ReadAll(*bulk.error);
      if (!error.empty()) throw BenchError{"bulk error stream: " + error};
    }
    const double direct_s = bench::Median(direct_times);
    const double forwarded_s = bench::Median(forwarded_times);
    std::printf("%-40s %d MiB, median of %d: %.2f s = %.0f MiB/s (min %.2f s, max %.2f s)\n",
                "port-forward download (one connection)", transfer_mib, transfers, forwarded_s,
                transfer_mib / forwarded_s,
                *std::min_element(forwarded_times.begin(), forwarded_times.end()),
                *std::max_element(forwarded_times.begin(), forwarded_times.end()));
    std::printf("%-40s %d MiB, median of %d: %.2f s = %.0f MiB/s (port-forward: %.2fx the time)\n",
                "direct TCP to the pod IP, same server", transfer_mib, transfers, direct_s,
                transfer_mib / direct_s, forwarded_s / direct_s);
    if (!crictl.empty()) {
      const int local = FreeLoopbackPort();
      CrictlForward forward(crictl, endpoint, pod, local, kBulkPort);
      const auto t0 = Clock::now();
      ScopedFd through = Connect("127.0.0.1", local);
      if (!through) throw BenchError{"connect to crictl port-forward's local port"};
      const size_t got = Drain(through.get());
      const double crictl_s = bench::SecondsSince(t0);
      if (got != want) {
        throw BenchError{"download through crictl: " + std::to_string(got) + " bytes"};
      }
      std::printf("%-40s %d MiB in %.2f s = %.0f MiB/s (%.2fx the direct time)\n",
                  "through crictl port-forward (client-go)", transfer_mib, crictl_s,
                  transfer_mib / crictl_s, crictl_s / direct_s);
    }

    // Set-up to the first byte of the server's greeting.
    Latencies in_session, new_session, direct_setup;
    char c;
    for (int i = 0; i < connections; ++i) {
      in_session.Measure([&] {
        Forward fc = OpenForward(*session, kHelloPort, transfers + i);  // after the bulk ones
        if (Must(fc.data->Read(&c, 1), "first byte") != 1) throw BenchError{"no greeting"};
      });
      new_session.Measure([&] {
        std::unique_ptr<Session> s = NewSession(pod);
        Forward fc = OpenForward(*s, kHelloPort, 0);
        if (Must(fc.data->Read(&c, 1), "first byte") != 1) throw BenchError{"no greeting"};
      });
      direct_setup.Measure([&] {
        ScopedFd s = Connect(ip, kHelloPort);
        if (!s || recv(s.get(), &c, 1, 0) != 1) throw BenchError{"direct greeting"};
      });
    }
    in_session.Print("port-forward connection, open session");
    new_session.Print("port-forward, new session (call+upgrade)");
    direct_setup.Print("direct TCP connection to the pod IP");
    session.reset();
    cri_.RemovePod(pod);
  }

  void IdleAttaches(int count) {
    if (pid_.empty()) return;
    const std::string pod = cri_.RunPod("attach", true);
    const std::string id = StartContainer(pod, "attach", "exec sleep 3600", false);
    const std::string conmon = ConmonOf(id);
    if (conmon.empty())
      std::printf("(no conmon found for the container: its figures are skipped)\n");
    // One session first, so that what any first session allocates once
    // (threads of pools, buffers) is not counted per session.
    { auto warm = Attach(id); }
    const long rss0 = bench::StatusKb(pid_, "VmRSS"), threads0 = bench::StatusKb(pid_, "Threads");
    const long conmon_rss0 = conmon.empty() ? 0 : bench::StatusKb(conmon, "VmRSS");
    const size_t conmon_fds0 = conmon.empty() ? 0 : OpenFds(conmon);
    std::vector<std::unique_ptr<Session>> sessions;
    for (int i = 0; i < count; ++i) sessions.push_back(Attach(id));
    // A session is fully set up once berthd has connected to conmon's attach
    // socket: wait for conmon to hold one more descriptor per session.
    if (!conmon.empty()) {
      auto deadline = Clock::now() + std::chrono::seconds(30);
      while (OpenFds(conmon) < conmon_fds0 + static_cast<size_t>(count)) {
        if (Clock::now() > deadline) throw BenchError{"conmon never saw every attach"};
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
    const long rss1 = bench::StatusKb(pid_, "VmRSS"), threads1 = bench::StatusKb(pid_, "Threads");
    std::printf("%-40s VmRSS %ld -> %ld kB: %.1f kB per session; threads %ld -> %ld (%.1f each)\n",
                ("berthd, " + std::to_string(count) + " idle attach sessions").c_str(), rss0, rss1,
                double(rss1 - rss0) / count, threads0, threads1,
                double(threads1 - threads0) / count);
    if (!conmon.empty()) {
      const long conmon_rss1 = bench::StatusKb(conmon, "VmRSS");
      std::printf("%-40s VmRSS %ld -> %ld kB (%.1f kB per session; not in berthd's figure)\n",
                  "  the container's conmon", conmon_rss0, conmon_rss1,
                  double(conmon_rss1 - conmon_rss0) / count);
    }
    sessions.clear();
    cri_.RemovePod(pod);
  }

 private:
  std::unique_ptr<Session> NewSession(const std::string& pod) {
    rt::PortForwardRequest req;
    req.set_pod_sandbox_id(pod);
    rt::PortForwardResponse resp;
    Check(cri_.runtime().PortForward(Ctx().get(), req, &resp), "PortForward");
    return Dial(resp.url(), "portforward.k8s.io");
  }

  // An attach session with stdout and stderr, fully opened.
  std::unique_ptr<Session> Attach(const std::string& id) {
    rt::AttachRequest req;
    req.set_container_id(id);
    req.set_stdout(true);
    req.set_stderr(true);
    rt::AttachResponse resp;
    Check(cri_.runtime().Attach(Ctx().get(), req, &resp), "Attach");
    std::unique_ptr<Session> s = Dial(resp.url(), "v4.channel.k8s.io");
    for (const char* type : {"error", "stdout", "stderr"}) Open(*s, {{"streamType", type}});
    return s;
  }

  // Creates and starts a busybox container running `sh -c script`.
  std::string StartContainer(const std::string& pod, const std::string& name,
                             const std::string& script, bool stdin) {
    rt::CreateContainerRequest req = cri_.ContainerRequest(pod, name, {"/bin/sh", "-c", script});
    req.mutable_config()->set_stdin(stdin);
    return cri_.StartedContainer(req);
  }

  bench::BenchClient cri_;  // its destructor removes every pod the bench made
  const std::string pid_;
};

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  const std::string endpoint = bench::EndpointFromArgs(argc, argv);
  const char* env_pid = std::getenv("BERTH_PID");
  const std::string image = bench::Flag(argc, argv, "image", bench::DefaultBusyboxImage());
  const std::string pid = bench::Flag(argc, argv, "pid", env_pid ? env_pid : "");
  const int runs = std::stoi(bench::Flag(argc, argv, "runs", "50"));
  const int transfer_mib = std::stoi(bench::Flag(argc, argv, "transfer-mib", "1024"));
  const int transfers = std::max(1, std::stoi(bench::Flag(argc, argv, "transfers", "5")));
  const int connections = std::stoi(bench::Flag(argc, argv, "connections", "50"));
  const int attaches = std::stoi(bench::Flag(argc, argv, "attaches", "50"));
  const std::string crictl = bench::Flag(argc, argv, "crictl", "");

  auto channel = bench::ConnectedChannel(endpoint);
  if (!channel) return 1;
  if (pid.empty()) std::printf("no --pid / $BERTH_PID: the attach memory figures are skipped\n");
  int rc = 0;
  {
    StreamingBench bench(channel, image, pid);  // its destructor removes every pod it made
    try {
      bench.PullImage();
      if (runs > 0) bench.ExecRoundTrip(runs);
      if (transfer_mib > 0 && connections > 0) {
        bench.PortForward(transfer_mib, transfers, connections, crictl, endpoint);
      }
      if (attaches > 0) bench.IdleAttaches(attaches);
    } catch (const BenchError& e) {
      std::fprintf(stderr, "streaming_bench: %s\n", e.what.c_str());
      rc = 1;
    }
  }
  return rc;
}
