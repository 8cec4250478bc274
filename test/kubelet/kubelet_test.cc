// A real kubelet (standalone, static pods) drives a private berthd through
// what a node does every day, checked through the kubelet's read-only port
// (/pods, /stats/summary) and through crictl. berthd starts with no pod
// network, only a template (cni.network_config_template): the kubelet's
// podCIDR, sent by UpdateRuntimeConfig, makes it one. The pods:
//   web     two containers sharing an emptyDir; httpd behind a hostPort;
//           exec readiness (flipped off and on) and exec liveness (failed:
//           the container is restarted)
//   crash   a container that exits 1: restarted with growing back-off,
//           attempt-numbered log files, restartCount growing
//   secure  runAsUser, readOnlyRootFilesystem, drop ALL,
//           allowPrivilegeEscalation false; removed first: SIGTERM reaches
//           its trap and it exits 0 well inside the grace period
// then every manifest is removed and the kubelet garbage-collects: no
// sandbox, container, mount, pinned netns, IP, veth, iptables rule, conmon or
// log dir may be left. The kubelet's container GC runs once a minute from its
// start, so the steps run side by side (the crash loop backs off while the
// other pods are checked) and the manifests go about 45 s in: the first GC
// tick collects them, and a miss costs one more minute, still within budget.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "pkg/fs/dir.h"
#include "test/integration/cni/host_tools.h"
#include "test/integration/harness/berthd_fixture.h"
#include "test/integration/harness/loopback_port.h"
#include "test/integration/images/image_env.h"
#include "test/kubelet/kubelet_env.h"

namespace berth::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr char kNode[] = "berth-kubelet-it";
// Where the template has {{.PodCIDR}}: a placeholder while it is built as JSON.
constexpr char kPodCidrField[] = "@POD_CIDR@";

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// crictl exec -s prints stdout and stderr each with a newline of its own.
std::string Trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// A free TCP port on 127.0.0.1 for the hostPort (bound once, then released).
int FreePort() {
  const int port = FreeLoopbackPort();
  if (port < 0) std::abort();
  return port;
}

// BERTH_KUBELET_RUNTIME=runsc (the kubelet_test_runsc ctest): berthd's
// default workload trust is untrusted and its untrusted runtime gVisor, so
// every pod the kubelet starts runs under runsc with nothing in the
// manifests asking for it.
bool UnderGvisor() {
  const char* runtime = getenv("BERTH_KUBELET_RUNTIME");
  return runtime != nullptr && std::string(runtime) == "runsc";
}
constexpr char kRunsc[] = "/usr/bin/runsc";

// What crictl ps -a says about one container.
struct CriContainer {
  std::string id, pod, name, state;
  int attempt = 0;
};

class KubeletTest : public ::testing::Test {
 protected:
  void SetUp() override {
    RequireRoot();
    ASSERT_FALSE(ImageEnv::Get("OPEN_REGISTRY").empty()) << "test registry did not start";
    ASSERT_EQ(access(CrictlPath().c_str(), X_OK), 0) << "crictl not found at " << CrictlPath();
    start_ = Clock::now();
    Random();
    // A private bridge, /24 and network name, so nothing is shared with other
    // tests (or a node's own berth0) and leftovers are attributable.
    char suffix[8];
    snprintf(suffix, sizeof suffix, "%02x%02x%02x", rand_[0], rand_[1], rand_[2]);
    bridge_ = std::string("bkl") + suffix;
    net_name_ = std::string("berth-kubelet-") + suffix;
    subnet_prefix_ =
        "10." + std::to_string(200 + rand_[0] % 50) + "." + std::to_string(rand_[1]) + ".";
    const std::string ipam_dir = tmp_.Sub("ipam");
    ipam_dir_ = ipam_dir + "/" + net_name_;
    json conflist = {{"cniVersion", "1.0.0"},
                     {"name", net_name_},
                     {"plugins",
                      {{{"type", "bridge"},
                        {"bridge", bridge_},
                        {"isGateway", true},
                        {"ipMasq", false},
                        {"ipam",
                         {{"type", "host-local"},
                          {"dataDir", ipam_dir},
                          {"ranges", {{{{"subnet", kPodCidrField}}}}},
                          {"routes", {{{"dst", "0.0.0.0/0"}}}}}}},
                       {{"type", "portmap"}, {"capabilities", {{"portMappings", true}}}}}}};

    std::string runtimes =
        "runtimes: {runc: {path: /usr/sbin/runc, root: " + RuncRoot() + ", type: oci}}\n";
    if (UnderGvisor()) {
      ASSERT_EQ(access(kRunsc, X_OK), 0) << kRunsc << " is missing (hack/install-deps.sh)";
      runtimes = "runtimes:\n  runc: {path: /usr/sbin/runc, root: " + RuncRoot() +
                 ", type: oci}\n  runsc: {path: " + kRunsc + ", root: " + RunscRoot() +
                 ", type: oci}\ndefault_runtime: runc\ntrusted_runtime: runc\n"
                 "untrusted_runtime: runsc\ndefault_workload_trust: untrusted\n";
    }
    d_ = std::make_unique<BerthdProcess>(ImageEnv::RegistriesYaml() + runtimes);
    // The network is a template only: the conf dir stays empty until the
    // kubelet sends its pod CIDR. A drop-in, as the fixture writes the cni block.
    std::string tmpl = conflist.dump(2);
    tmpl.replace(tmpl.find(kPodCidrField), strlen(kPodCidrField), "{{.PodCIDR}}");
    std::ofstream(tmp_.Sub("pod-network.tmpl")) << tmpl;
    fs::create_directories(d_->config_path() + ".d");
    std::ofstream(d_->config_path() + ".d/10-network-template.yaml")
        << "cni: {network_config_template: " << tmp_.Sub("pod-network.tmpl") << "}\n";
    ASSERT_NO_FATAL_FAILURE(d_->Start());

    host_paths_ = std::make_unique<KubeletHostPaths>();
    kubelet_ =
        std::make_unique<Kubelet>(tmp_.Sub("kubelet"), kNode, *d_, "podCIDR: " + PodCidr() + "\n");
    ASSERT_NO_FATAL_FAILURE(kubelet_->Start());
    Mark("berthd and kubelet up");
  }

  void TearDown() override {
    // BERTH_KUBELET_IT_LOGS=<dir> keeps both daemons' logs for a closer look.
    if (const char* keep = getenv("BERTH_KUBELET_IT_LOGS"); keep && kubelet_ && d_) {
      fs::create_directories(keep);
      std::ofstream(std::string(keep) + "/kubelet.log") << kubelet_->Log();
      std::ofstream(std::string(keep) + "/berthd.log") << d_->Log();
    }
    if (HasFailure() && kubelet_) std::cerr << "--- kubelet errors ---\n" << KubeletErrors();
    if (HasFailure() && d_) std::cerr << "--- berthd failed calls ---\n" << BerthdFailures();
    if (kubelet_ && kubelet_->running()) kubelet_->Stop();
    if (d_ && d_->pid() > 0) {
      // After a failure pods may be left: the kubelet is gone, so remove them here.
      RunCrictl(*d_, {"rmp", "-fa"}, seconds(60));
      d_->StopWith(SIGTERM);
    }
    if (host_paths_) host_paths_->Restore(kNode);
    if (!bridge_.empty()) RunCommand({"/usr/sbin/ip", "link", "del", bridge_});
    if (!net_name_.empty()) cni::itest::RemoveIptablesRulesMentioning(net_name_);
    if (!subnet_prefix_.empty()) cni::itest::RemoveIptablesRulesMentioning(subnet_prefix_);
    // TempDir's destructors detach what is still mounted below them (the
    // kubelet's root dir, berthd's pinned-ns dir).
  }

  void Random() {
    if (getrandom(rand_, sizeof rand_, 0) != sizeof rand_) std::abort();
  }
  std::string Uid(const std::string& pod) const {
    char buf[64];
    snprintf(buf, sizeof buf, "%s-%02x%02x%02x%02x", pod.c_str(), rand_[0], rand_[1], rand_[2],
             rand_[3]);
    return buf;
  }
  static std::string FullName(const std::string& pod) { return pod + "-" + kNode; }
  std::string PodCidr() const { return subnet_prefix_ + "0/24"; }
  std::string RuncRoot() const { return tmp_.Sub("runc"); }
  std::string RunscRoot() const { return tmp_.Sub("runsc"); }
  static std::string BusyboxRef() {
    return ImageEnv::Get("OPEN_REGISTRY") + "/berth-test/busybox:latest";
  }

  // Prints the elapsed time at a step, for the run-time budget (3 minutes).
  void Mark(const std::string& what) const {
    auto ms = std::chrono::duration_cast<milliseconds>(Clock::now() - start_).count();
    std::cout << "[kubelet-it] " << ms / 1000.0 << " s: " << what << std::endl;
  }

  // --- manifests ---

  json Container(const std::string& name, std::vector<std::string> command) const {
    return {{"name", name}, {"image", BusyboxRef()}, {"command", command}};
  }
  json Pod(const std::string& name, int grace, json containers, json volumes) const {
    return {{"apiVersion", "v1"},
            {"kind", "Pod"},
            {"metadata", {{"name", name}, {"namespace", "default"}, {"uid", Uid(name)}}},
            {"spec",
             {{"terminationGracePeriodSeconds", grace},
              {"containers", std::move(containers)},
              {"volumes", std::move(volumes)}}}};
  }
  static json ExecProbe(std::vector<std::string> command) {
    // A generous timeout: the probe is an ExecSync through conmon on a busy
    // 2-core machine with sanitizers.
    return {{"exec", {{"command", command}}},
            {"periodSeconds", 1},
            {"timeoutSeconds", 5},
            {"failureThreshold", 1}};
  }

  json WebPod() const {
    json writer = Container(
        "writer", {"/bin/sh", "-c",
                   "echo hello-from-writer > /data/index.html; touch /data/ready /tmp/alive; "
                   "trap 'exit 0' TERM; while true; do sleep 1; done"});
    writer["volumeMounts"] = {{{"name", "shared"}, {"mountPath", "/data"}}};
    writer["livenessProbe"] = ExecProbe({"/bin/cat", "/tmp/alive"});
    // httpd as PID 1 would ignore SIGTERM (no handler) and cost the full grace period.
    json server = Container(
        "server", {"/bin/sh", "-c", "trap 'exit 0' TERM; httpd -f -p 8080 -h /www & wait"});
    server["volumeMounts"] = {{{"name", "shared"}, {"mountPath", "/www"}}};
    server["ports"] = {{{"containerPort", 8080}, {"hostPort", host_port_}, {"protocol", "TCP"}}};
    server["readinessProbe"] = ExecProbe({"/bin/cat", "/www/ready"});
    return Pod("web", 30, {writer, server}, {{{"name", "shared"}, {"emptyDir", json::object()}}});
  }

  json CrashPod() const {
    return Pod("crash", 5, {Container("fail", {"/bin/sh", "-c", "echo attempt-output; exit 1"})},
               json::array());
  }

  json SecurePod() const {
    json c = Container("locked", {"/bin/sh", "-c",
                                  "trap 'echo graceful > /host/term; exit 0' TERM; "
                                  "while true; do sleep 1; done"});
    c["volumeMounts"] = {{{"name", "host"}, {"mountPath", "/host"}}};
    c["securityContext"] = {{"runAsUser", 1002},
                            {"readOnlyRootFilesystem", true},
                            {"allowPrivilegeEscalation", false},
                            {"capabilities", {{"drop", {"ALL"}}}}};
    return Pod("secure", 30, {c},
               {{{"name", "host"}, {"hostPath", {{"path", marker_dir()}, {"type", "Directory"}}}}});
  }
  std::string marker_dir() const { return tmp_.Sub("marker"); }

  // --- the kubelet's view ---

  // /pods, also noting when each restartCount of crash/fail was first seen
  // (the back-off check needs the times between restarts).
  std::map<std::string, KubePod> Pods() {
    auto pods = kubelet_->Pods();
    if (auto p = pods.find(FullName("crash")); p != pods.end()) {
      if (auto c = p->second.containers.find("fail"); c != p->second.containers.end()) {
        crash_restart_seen_.try_emplace(c->second.restart_count, Clock::now());
      }
    }
    last_pods_ = pods;
    return pods;
  }

  // Polls /pods until `done` holds; on timeout fails with the last view.
  bool WaitPods(const std::string& what, seconds timeout,
                const std::function<bool(const std::map<std::string, KubePod>&)>& done) {
    bool ok = PollUntil(timeout, [&] { return done(Pods()); });
    EXPECT_TRUE(ok) << "kubelet never reported: " << what << " (" << timeout.count()
                    << " s); last /pods:\n"
                    << Describe(last_pods_);
    if (ok) Mark(what);
    return ok;
  }

  static const KubeContainer* Find(const std::map<std::string, KubePod>& pods,
                                   const std::string& pod, const std::string& container) {
    auto p = pods.find(FullName(pod));
    if (p == pods.end()) return nullptr;
    auto c = p->second.containers.find(container);
    return c == p->second.containers.end() ? nullptr : &c->second;
  }
  static bool PodReady(const std::map<std::string, KubePod>& pods, const std::string& pod) {
    auto p = pods.find(FullName(pod));
    return p != pods.end() && p->second.ready;
  }

  // --- crictl's view ---

  json CrictlJson(std::vector<std::string> args) {
    // crictl stops reading flags at the first argument: -o goes right after the command.
    args.insert(args.begin() + 1, {"-o", "json"});
    ProcessResult r = RunCrictl(*d_, args, seconds(30));
    EXPECT_EQ(r.exit_code, 0) << "crictl " << args[0] << ": " << r.output;
    json j = json::parse(r.output, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << "crictl " << args[0] << " printed no JSON: " << r.output;
    return j.is_discarded() ? json::object() : j;
  }

  std::vector<CriContainer> CriContainers(const std::string& pod = "") {
    std::vector<CriContainer> out;
    for (const json& c : CrictlJson({"ps", "-a"}).value("containers", json::array())) {
      CriContainer cc;
      cc.id = c.value("id", "");
      cc.pod = c.value("labels", json::object()).value("io.kubernetes.pod.name", "");
      cc.name = c.value("metadata", json::object()).value("name", "");
      cc.attempt = c.value("metadata", json::object()).value("attempt", 0);
      cc.state = c.value("state", "");
      if (pod.empty() || cc.pod == FullName(pod)) out.push_back(cc);
    }
    return out;
  }

  // The running container `name` of `pod` (fails when there is none).
  std::string RunningId(const std::string& pod, const std::string& name) {
    for (const auto& c : CriContainers(pod)) {
      if (c.name == name && c.state == "CONTAINER_RUNNING") return c.id;
    }
    ADD_FAILURE() << "crictl ps shows no running " << name << " in " << FullName(pod);
    return "";
  }

  ProcessResult Exec(const std::string& id, const std::string& script) {
    return RunCrictl(*d_, {"exec", "-s", "--timeout", "20", id, "/bin/sh", "-c", script},
                     seconds(30));
  }

  std::string HostPortGet() {
    ProcessResult r = RunCommand({"/usr/bin/curl", "-sS", "--max-time", "3",
                                  "http://127.0.0.1:" + std::to_string(host_port_) + "/index.html"},
                                 seconds(10));
    return r.exit_code == 0 ? r.output : "";
  }

  // --- diagnostics ---

  std::string KubeletErrors() const {
    std::istringstream in(kubelet_->Log());
    std::string line, out;
    std::vector<std::string> lines;
    while (std::getline(in, line)) {
      if (line.starts_with("E")) lines.push_back(line.substr(0, 600));
    }
    for (size_t i = lines.size() > 25 ? lines.size() - 25 : 0; i < lines.size(); ++i) {
      out += lines[i] + "\n";
    }
    return out;
  }

  std::string BerthdFailures() const {
    std::istringstream in(d_->Log());
    std::string line;
    std::vector<std::string> lines;
    while (std::getline(in, line)) {
      if (line.find(" failed in ") != std::string::npos ||
          line.find(" error ") != std::string::npos ||
          line.find(" warning ") != std::string::npos) {
        lines.push_back(line.substr(0, 600));
      }
    }
    std::string out;
    for (size_t i = lines.size() > 25 ? lines.size() - 25 : 0; i < lines.size(); ++i) {
      out += lines[i] + "\n";
    }
    return out;
  }

  void ExpectPodsRunning();
  void ExpectStatsSummary();
  void ExpectSecurityContextHonoured();
  void ExpectReadinessFollowsProbe();
  void ExpectLivenessRestarts();
  void ExpectGracefulTermination();
  void ExpectCrashLoopBackOff();
  void ExpectEverythingCollected();

  Clock::time_point start_;
  unsigned char rand_[4] = {};
  std::string bridge_, net_name_, subnet_prefix_, ipam_dir_;
  int host_port_ = FreePort();
  TempDir tmp_{"berth-kubelet-it"};
  std::unique_ptr<BerthdProcess> d_;
  std::unique_ptr<KubeletHostPaths> host_paths_;
  std::unique_ptr<Kubelet> kubelet_;
  std::map<std::string, KubePod> last_pods_;
  std::map<int, Clock::time_point> crash_restart_seen_;
};

// All three pods get a sandbox on the private network and their containers
// run; the pod infra image is never pulled (berthd's built-in pause).
void KubeletTest::ExpectPodsRunning() {
  ASSERT_TRUE(WaitPods("web and secure Ready, crash started", seconds(90), [](const auto& pods) {
    const KubeContainer* writer = Find(pods, "web", "writer");
    const KubeContainer* server = Find(pods, "web", "server");
    const KubeContainer* fail = Find(pods, "crash", "fail");
    return PodReady(pods, "web") && PodReady(pods, "secure") && writer && writer->ready && server &&
           server->ready && fail && (fail->restart_count > 0 || fail->state != "waiting");
  }));
  const auto pods = last_pods_;
  for (const char* name : {"web", "crash", "secure"}) {
    const KubePod& pod = pods.at(FullName(name));
    EXPECT_EQ(pod.phase, "Running") << name;
    EXPECT_THAT(pod.pod_ip, ::testing::StartsWith(subnet_prefix_)) << name;
  }
  EXPECT_EQ(Find(pods, "web", "writer")->restart_count, 0);
  EXPECT_EQ(Find(pods, "web", "server")->restart_count, 0);
  // The addresses came from the kubelet's podCIDR, rendered into the template.
  EXPECT_THAT(Slurp(d_->dir().Sub("root/runtime-config.json")), HasSubstr(PodCidr()))
      << "berthd did not record the kubelet's pod CIDR";
  EXPECT_THAT(kubelet_->Log(), HasSubstr("Updating Pod CIDR"))
      << "the kubelet did not send its podCIDR";

  // crictl agrees: three ready sandboxes, each with the IP the kubelet shows.
  json sandboxes = CrictlJson({"pods"}).value("items", json::array());
  EXPECT_EQ(sandboxes.size(), 3u) << sandboxes.dump(2);
  for (const json& s : sandboxes) {
    const std::string name = s["metadata"].value("name", "");
    EXPECT_EQ(s.value("state", ""), "SANDBOX_READY") << name;
    ASSERT_TRUE(pods.contains(name)) << "crictl shows a pod the kubelet does not: " << name;
    json status = CrictlJson({"inspectp", s.value("id", "")}).value("status", json::object());
    EXPECT_EQ(status.value("network", json::object()).value("ip", ""), pods.at(name).pod_ip)
        << name;
  }
  for (const json& img : CrictlJson({"images"}).value("images", json::array())) {
    EXPECT_THAT(img.dump(), Not(HasSubstr("registry.invalid"))) << "the pod infra image was pulled";
  }
}

// One test: the steps share the kubelet and its pods (see the header).
TEST_F(KubeletTest, StaticPodsLiveAndDieLikeOnANode) {
  fs::create_directories(marker_dir());
  chmod(marker_dir().c_str(), 0777);  // written by uid 1002
  kubelet_->WriteManifest("web.json", WebPod());
  kubelet_->WriteManifest("crash.json", CrashPod());
  kubelet_->WriteManifest("secure.json", SecurePod());

  ASSERT_NO_FATAL_FAILURE(ExpectPodsRunning());
  ExpectStatsSummary();
  if (UnderGvisor()) {
    // Every pod is a gVisor sandbox: its container reports gVisor's kernel.
    const std::string kernel = Trimmed(
        RunCrictl(*d_, {"exec", "-s", RunningId("web", "writer"), "uname", "-r"}, seconds(30))
            .output);
    EXPECT_EQ(kernel, "4.4.0") << "the web pod's writer does not run under gVisor";
    Mark("pods run under gVisor");
  }

  // hostPort from the host's loopback reaches httpd, which serves what the
  // other container wrote into the shared emptyDir.
  std::string body;
  EXPECT_TRUE(
      PollUntil(seconds(15), [&] { return (body = HostPortGet()) == "hello-from-writer\n"; }))
      << "GET 127.0.0.1:" << host_port_ << " answered \"" << body << "\"";
  Mark("hostPort serves the emptyDir");

  ExpectSecurityContextHonoured();
  ExpectGracefulTermination();
  ExpectReadinessFollowsProbe();
  ExpectLivenessRestarts();
  ExpectCrashLoopBackOff();
  ExpectEverythingCollected();
  Mark("done");
}

// /stats/summary: the kubelet's CRI stats provider takes each container's CPU,
// memory and writable layer from ListContainerStats. Every running container
// shows CPU time and a working set, and its rootfs usage is reported (under
// gVisor the CPU and memory come from runsc, not the empty cgroups). The
// kubelet reads the CRI on each request; the poll covers berthd's first
// disk-usage and runsc samples.
// gVisor's sentry counts a task's CPU time in whole clock ticks (10 ms): a
// task charged no tick shows none. web/server's shell and httpd start in less
// than that and then wait, so under gVisor its CPU may stay 0 for good (seen:
// 1 run in 8, memory and rootfs there); writer and locked run `sleep 1` every
// second and always gather ticks, so they carry the CPU check there.
void KubeletTest::ExpectStatsSummary() {
  const std::map<std::string, std::vector<std::string>> running = {{"web", {"writer", "server"}},
                                                                   {"secure", {"locked"}}};
  std::string missing, raw;
  const bool complete = PollUntil(
      seconds(60),
      [&] {
        Pods();  // keeps the crash loop's restart times observed
        missing.clear();
        const json summary = kubelet_->StatsSummary(&raw);
        if (summary.is_null()) {
          missing = "no Summary: " + raw.substr(0, 400);
          return false;
        }
        for (const auto& [pod, containers] : running) {
          const json* pod_stats = nullptr;
          for (const json& p : summary["pods"]) {
            if (p.value("podRef", json::object()).value("name", "") == FullName(pod))
              pod_stats = &p;
          }
          if (pod_stats == nullptr) {
            missing += FullName(pod) + " is not listed; ";
            continue;
          }
          for (const std::string& name : containers) {
            json c;
            for (const json& each : pod_stats->value("containers", json::array())) {
              if (each.value("name", "") == name) c = each;
            }
            const std::string where = pod + "/" + name;
            if (c.is_null()) {
              missing += where + " is not listed; ";
              continue;
            }
            const bool idle_under_gvisor = UnderGvisor() && where == "web/server";
            if (!c.contains("cpu")) {
              missing += where + " has no CPU figures; ";
            } else if (c["cpu"].value("usageCoreNanoSeconds", 0ull) == 0 && !idle_under_gvisor) {
              missing += where + " has no CPU usageCoreNanoSeconds; ";
            }
            if (c.value("memory", json::object()).value("workingSetBytes", 0ull) == 0) {
              missing += where + " has no memory workingSetBytes; ";
            }
            if (!c.value("rootfs", json::object()).contains("usedBytes")) {
              missing += where + " has no rootfs usedBytes; ";
            }
          }
        }
        return missing.empty();
      },
      milliseconds(1000));
  EXPECT_TRUE(complete) << "/stats/summary after 60 s: " << missing
                        << "\nlast answer: " << raw.substr(0, 3000);
  if (complete) Mark("/stats/summary has every container's CPU, memory and rootfs");
}

void KubeletTest::ExpectSecurityContextHonoured() {
  std::string id = RunningId("secure", "locked");
  ASSERT_FALSE(id.empty());
  ProcessResult r = Exec(id, "id -u");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(Trimmed(r.output), "1002");
  if (UnderGvisor()) {
    // gVisor puts a tmpfs of its own on /tmp and checks permissions before
    // read-only (uid 1002 gets EACCES at /): ask its mount table instead.
    r = Exec(id, "awk '$2 == \"/\" {print $4}' /proc/mounts");
    EXPECT_THAT(Trimmed(r.output), ::testing::StartsWith("ro")) << "the root is not read-only";
  } else {
    // /tmp is 1777 in the image: only the read-only root stops uid 1002 there.
    r = Exec(id, "touch /tmp/rootfs-write");
    EXPECT_NE(r.exit_code, 0) << "the root filesystem is writable";
    EXPECT_THAT(r.output, HasSubstr("Read-only file system"));
  }
  r = Exec(id, "grep -E '^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs):' /proc/self/status");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  std::istringstream lines(r.output);
  int seen = 0;
  for (std::string key, value; lines >> key >> value; ++seen) {
    EXPECT_EQ(value, key == "NoNewPrivs:" ? "1" : "0000000000000000") << key;
  }
  // gVisor's /proc/<pid>/status has no CapAmb and NoNewPrivs lines.
  EXPECT_EQ(seen, UnderGvisor() ? 4 : 6) << r.output;
  // The hostPath volume stays writable: the graceful-termination marker goes there.
  r = Exec(id, "touch /host/writable && echo ok");
  EXPECT_EQ(Trimmed(r.output), "ok");
  Mark("security context checked");
}

// Removing the manifest stops the pod: SIGTERM reaches the container's trap,
// which exits 0 long before the 30 s grace period (a kill would be 137).
void KubeletTest::ExpectGracefulTermination() {
  auto removed = Clock::now();
  kubelet_->RemoveManifest("secure.json");
  std::string id;
  bool exited = PollUntil(seconds(25), [&] {
    Pods();  // keeps the crash loop's restart times observed
    for (const auto& c : CriContainers("secure")) {
      if (c.name == "locked" && c.state == "CONTAINER_EXITED") id = c.id;
    }
    return !id.empty();
  });
  ASSERT_TRUE(exited) << "secure's container did not exit within 25 s of its manifest's removal";
  auto took = std::chrono::duration_cast<milliseconds>(Clock::now() - removed);
  EXPECT_LT(took, seconds(15)) << "termination waited for the grace period";
  json status = CrictlJson({"inspect", id}).value("status", json::object());
  EXPECT_EQ(status.value("exitCode", -1), 0) << status.dump(2);
  EXPECT_EQ(status.value("reason", ""), "Completed");
  EXPECT_EQ(Slurp(marker_dir() + "/term"), "graceful\n") << "the TERM trap did not run";
  WaitPods("secure gone from /pods", seconds(20),
           [](const auto& pods) { return !pods.contains(FullName("secure")); });
  // The other pods are untouched.
  EXPECT_TRUE(PodReady(last_pods_, "web"));
  Mark("secure terminated gracefully in " + std::to_string(took.count()) + " ms");
}

// An exec readiness probe that starts failing makes the pod NotReady without a
// restart; passing again makes it Ready.
void KubeletTest::ExpectReadinessFollowsProbe() {
  std::string server = RunningId("web", "server");
  ASSERT_FALSE(server.empty());
  ProcessResult r = Exec(server, "rm /www/ready");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  WaitPods("web NotReady after its readiness probe failed", seconds(30), [](const auto& pods) {
    const KubeContainer* c = Find(pods, "web", "server");
    return !PodReady(pods, "web") && c && !c->ready && c->state == "running";
  });
  EXPECT_EQ(Find(last_pods_, "web", "server")->restart_count, 0) << "readiness must not restart";
  std::string writer = RunningId("web", "writer");
  r = Exec(writer, "touch /data/ready");  // through the other container's mount
  ASSERT_EQ(r.exit_code, 0) << r.output;
  WaitPods("web Ready again", seconds(30), [](const auto& pods) { return PodReady(pods, "web"); });
}

// A failing exec liveness probe gets the container killed and restarted; its
// previous instance exited 0 through its TERM trap.
void KubeletTest::ExpectLivenessRestarts() {
  std::string writer = RunningId("web", "writer");
  ASSERT_FALSE(writer.empty());
  ProcessResult r = Exec(writer, "rm /tmp/alive");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  bool restarted =
      WaitPods("writer restarted by its liveness probe", seconds(60), [](const auto& pods) {
        const KubeContainer* c = Find(pods, "web", "writer");
        return c && c->restart_count >= 1 && c->has_last_terminated && c->state == "running" &&
               PodReady(pods, "web");
      });
  if (restarted) {
    const KubeContainer* c = Find(last_pods_, "web", "writer");
    EXPECT_EQ(c->restart_count, 1);
    EXPECT_EQ(c->last_exit_code, 0);
    EXPECT_EQ(c->last_reason, "Completed");
    EXPECT_EQ(Find(last_pods_, "web", "server")->restart_count, 0);
  }
  EXPECT_NE(RunningId("web", "writer"), writer);
  std::string body;
  EXPECT_TRUE(PollUntil(seconds(10), [&] {
    return (body = HostPortGet()) == "hello-from-writer\n";
  })) << body;
}

// exit 1 under restartPolicy Always: restarted at once, then after a 10 s
// and a 20 s back-off; restartCount growing, each attempt in its own N.log.
void KubeletTest::ExpectCrashLoopBackOff() {
  ASSERT_TRUE(WaitPods("crash restarted three times", seconds(90), [](const auto& pods) {
    const KubeContainer* c = Find(pods, "crash", "fail");
    return c && c->restart_count >= 3 && c->state != "running";
  }));
  const KubeContainer fail = *Find(last_pods_, "crash", "fail");
  EXPECT_FALSE(PodReady(last_pods_, "crash"));
  EXPECT_TRUE(fail.has_last_terminated);
  EXPECT_EQ(fail.last_exit_code, 1);
  EXPECT_EQ(fail.last_reason, "Error");
  if (fail.state == "waiting") {
    EXPECT_EQ(fail.reason, "CrashLoopBackOff");
  } else {
    EXPECT_EQ(fail.exit_code, 1) << fail.state;
  }
  // The back-off doubles (10 s, then 20 s); without it the restarts would
  // be a second apart. Seen times are /pods polls, so allow a few seconds.
  auto gap = [&](int from) {
    if (!crash_restart_seen_.contains(from) || !crash_restart_seen_.contains(from + 1)) {
      ADD_FAILURE() << "restartCount " << from << " or " << from + 1 << " never seen";
      return milliseconds(0);
    }
    return std::chrono::duration_cast<milliseconds>(crash_restart_seen_[from + 1] -
                                                    crash_restart_seen_[from]);
  };
  milliseconds first = gap(1), second = gap(2);
  EXPECT_GE(first, seconds(7)) << "restart 2 came " << first.count() << " ms after restart 1";
  EXPECT_GE(second, seconds(15)) << "restart 3 came " << second.count() << " ms after restart 2";
  EXPECT_GT(second, first) << "the back-off did not grow";

  // crictl: every attempt exited 1; each has the kubelet's N.log, and the
  // kubelet's /var/log/containers link names berth's log path.
  const std::string log_dir = kubelet_->PodLogDir("crash", Uid("crash")) + "/fail";
  int newest = -1;
  for (const auto& c : CriContainers("crash")) {
    if (c.name != "fail") continue;
    // The kubelet removes the older dead attempts each time one dies (it
    // keeps one): an attempt listed a moment ago may be gone by now.
    ProcessResult inspected = RunCrictl(*d_, {"inspect", "-o", "json", c.id}, seconds(30));
    auto still_listed = [&] {
      return std::ranges::any_of(CriContainers("crash"),
                                 [&](const CriContainer& now) { return now.id == c.id; });
    };
    if (inspected.exit_code != 0 && inspected.output.find("NotFound") != std::string::npos &&
        !still_listed()) {
      continue;
    }
    json status = CrictlJson({"inspect", c.id}).value("status", json::object());
    EXPECT_EQ(status.value("state", ""), "CONTAINER_EXITED") << c.id;
    EXPECT_EQ(status.value("exitCode", -1), 1) << c.id;
    EXPECT_EQ(status.value("reason", ""), "Error") << c.id;
    const std::string log_path = log_dir + "/" + std::to_string(c.attempt) + ".log";
    EXPECT_EQ(status.value("logPath", ""), log_path);
    EXPECT_TRUE(PollUntil(
        seconds(5),
        [&] { return Slurp(log_path).find(" stdout F attempt-output\n") != std::string::npos; }))
        << log_path << ": " << Slurp(log_path);
    const std::string link =
        "/var/log/containers/" + FullName("crash") + "_default_fail-" + c.id + ".log";
    std::error_code ec;
    EXPECT_EQ(fs::read_symlink(link, ec).string(), log_path) << link;
    newest = std::max(newest, c.attempt);
  }
  EXPECT_GE(newest, 3);
  // Only attempt-numbered files, the newest one among them.
  for (const auto& name : ListDirOrEmpty(log_dir)) {
    EXPECT_THAT(name, ::testing::MatchesRegex("[0-9]+\\.log")) << log_dir;
  }
  EXPECT_TRUE(fs::exists(log_dir + "/" + std::to_string(newest) + ".log"));
}

// Every manifest removed: the kubelet stops and garbage-collects its pods
// (its container GC runs once a minute), and nothing is left anywhere.
void KubeletTest::ExpectEverythingCollected() {
  kubelet_->RemoveManifest("web.json");
  kubelet_->RemoveManifest("crash.json");
  Mark("manifests removed");
  bool collected = PollUntil(
      seconds(150),
      [&] {
        return CriContainers().empty() &&
               CrictlJson({"pods"}).value("items", json::array()).empty();
      },
      milliseconds(500));
  ASSERT_TRUE(collected) << "the kubelet did not remove every sandbox and container:\n"
                         << RunCrictl(*d_, {"pods"}).output << RunCrictl(*d_, {"ps", "-a"}).output;
  Mark("sandboxes and containers removed");
  EXPECT_TRUE(kubelet_->Pods().empty()) << Describe(kubelet_->Pods());
  // Log dirs and pod dirs go in the same housekeeping, maybe a little later.
  for (const char* pod : {"web", "crash", "secure"}) {
    const std::string dir = kubelet_->PodLogDir(pod, Uid(pod));
    EXPECT_TRUE(PollUntil(seconds(30), [&] { return !fs::exists(dir); })) << dir << " left";
  }
  EXPECT_TRUE(PollUntil(seconds(30), [&] {
    for (const auto& name : ListDirOrEmpty("/var/log/containers")) {
      if (name.find("-" + std::string(kNode) + "_") != std::string::npos) return false;
    }
    return true;
  })) << "a /var/log/containers link is left";
  EXPECT_TRUE(PollUntil(seconds(30),
                        [&] { return ListDirOrEmpty(kubelet_->root_dir() + "/pods").empty(); }))
      << "kubelet pod dirs left: "
      << ::testing::PrintToString(ListDirOrEmpty(kubelet_->root_dir() + "/pods"));

  // berthd's side: mounts (the pinned-ns dir itself is a mount by design),
  // pinned namespaces, bundles, run dirs, exit files, CNI cache.
  EXPECT_TRUE(d_->WaitRemovalsFinished()) << "a removal did not finish after its answer";
  const std::string base = d_->dir().path();
  const std::string runroot = d_->dir().Sub("run"), root = d_->dir().Sub("root");
  std::istringstream mountinfo(Slurp("/proc/self/mountinfo"));
  for (std::string line; std::getline(mountinfo, line);) {
    std::istringstream fields(line);
    std::string id, parent, dev, mroot, target;
    fields >> id >> parent >> dev >> mroot >> target;
    const bool berthd_mount = target.starts_with(base + "/") && target != runroot + "/ns";
    const bool kubelet_mount = target.starts_with(kubelet_->root_dir() + "/");
    EXPECT_FALSE(berthd_mount || kubelet_mount) << "mount left: " << line;
  }
  for (const char* kind : {"net", "ipc", "uts"}) {
    EXPECT_THAT(ListDirOrEmpty(runroot + "/ns/" + kind), IsEmpty())
        << kind << " namespace pin left";
  }
  for (const std::string& dir :
       {root + "/sandboxes", root + "/containers", runroot + "/sandboxes", runroot + "/containers",
        runroot + "/exits", root + "/cni-cache"}) {
    EXPECT_THAT(ListDirOrEmpty(dir), IsEmpty()) << dir;
  }
  EXPECT_EQ(RunCommand({"/usr/sbin/runc", "--root", RuncRoot(), "list", "-q"}).output, "")
      << "runc still has containers";
  if (UnderGvisor()) {
    EXPECT_EQ(RunCommand({kRunsc, "--root", RunscRoot(), "list", "-quiet"}).output, "")
        << "runsc still has containers";
  }
  EXPECT_THAT(RunCommand({"/usr/bin/pgrep", "-af", "conmon"}).output, Not(HasSubstr(base)))
      << "conmon left";
  // The network: no IP allocated, no veth on the bridge, no portmap rule.
  for (const auto& name : ListDirOrEmpty(ipam_dir_)) {
    EXPECT_FALSE(name.starts_with(subnet_prefix_)) << "IP still allocated: " << name;
  }
  EXPECT_EQ(RunCommand({"/usr/sbin/ip", "-o", "link", "show", "master", bridge_}).output, "")
      << "veth left on " << bridge_;
  for (const char* table : {"nat", "filter"}) {
    EXPECT_THAT(RunCommand({"/usr/sbin/iptables", "-t", table, "-S"}).output,
                Not(HasSubstr(net_name_)))
        << "iptables " << table << " rule left for the pod network";
  }
  EXPECT_NE(RunCommand({"/usr/bin/curl", "-sS", "--max-time", "2",
                        "http://127.0.0.1:" + std::to_string(host_port_) + "/"})
                .exit_code,
            0)
      << "the hostPort still answers";

  // Both daemons stop on SIGTERM.
  EXPECT_TRUE(kubelet_->Stop()) << "kubelet did not exit within 30 s of SIGTERM";
  EXPECT_EQ(d_->StopWith(SIGTERM), 0);
  Mark("kubelet and berthd stopped");
}

}  // namespace
}  // namespace berth::testing
