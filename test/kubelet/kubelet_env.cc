#include "test/kubelet/kubelet_env.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "pkg/fs/dir.h"
#include "pkg/process/wait_gone.h"

namespace berth::testing {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string KubeletPath() {
  return std::string(BERTH_SOURCE_DIR) + "/../shared/tools/kubelet";
}

// True when nothing listens on 127.0.0.1:`port` (binding it succeeds).
bool PortFree(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  close(fd);
  return ok;
}

std::string HttpGet(const std::string& path) {
  ProcessResult r =
      RunCommand({"/usr/bin/curl", "-sS", "--max-time", "5",
                  "http://127.0.0.1:" + std::to_string(Kubelet::kReadOnlyPort) + path},
                 std::chrono::seconds(10));
  return r.exit_code == 0 ? r.output : "";
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string StringAt(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

KubeContainer ParseContainer(const json& c) {
  KubeContainer out;
  out.ready = c.value("ready", false);
  out.restart_count = c.value("restartCount", 0);
  const json state = c.value("state", json::object());
  for (const char* s : {"running", "waiting", "terminated"}) {
    if (!state.contains(s)) continue;
    out.state = s;
    out.reason = StringAt(state[s], "reason");
    out.message = StringAt(state[s], "message");
    out.exit_code = state[s].value("exitCode", -1);
  }
  const json last = c.value("lastState", json::object());
  if (last.contains("terminated")) {
    out.has_last_terminated = true;
    out.last_exit_code = last["terminated"].value("exitCode", -1);
    out.last_reason = StringAt(last["terminated"], "reason");
  }
  return out;
}

}  // namespace

std::map<std::string, KubePod> ParsePodList(const json& list) {
  std::map<std::string, KubePod> pods;
  for (const json& item : list.value("items", json::array())) {
    KubePod pod;
    const json meta = item.value("metadata", json::object());
    const json status = item.value("status", json::object());
    pod.uid = StringAt(meta, "uid");
    pod.phase = StringAt(status, "phase");
    pod.pod_ip = StringAt(status, "podIP");
    for (const json& cond : status.value("conditions", json::array())) {
      if (StringAt(cond, "type") == "Ready") pod.ready = StringAt(cond, "status") == "True";
    }
    for (const json& c : status.value("containerStatuses", json::array())) {
      pod.containers[StringAt(c, "name")] = ParseContainer(c);
    }
    pods[StringAt(meta, "name")] = std::move(pod);
  }
  return pods;
}

std::string Describe(const std::map<std::string, KubePod>& pods) {
  std::ostringstream out;
  if (pods.empty()) out << "(no pods)\n";
  for (const auto& [name, p] : pods) {
    out << name << ": phase=" << p.phase << " ready=" << p.ready << " ip=" << p.pod_ip << "\n";
    for (const auto& [cname, c] : p.containers) {
      out << "  " << cname << ": ready=" << c.ready << " restarts=" << c.restart_count << " "
          << c.state << " " << c.reason << " exit=" << c.exit_code << " last=" << c.last_exit_code
          << " " << c.last_reason << (c.message.empty() ? "" : " message: " + c.message) << "\n";
    }
  }
  return out.str();
}

bool PollUntil(std::chrono::milliseconds timeout, const std::function<bool()>& done,
               std::chrono::milliseconds interval) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(interval);  // the poll step, not synchronisation
  }
  return true;
}

KubeletHostPaths::KubeletHostPaths() {
  for (const char* p : {"/var/lib/kubelet/device-plugins", "/var/lib/kubelet",
                        "/var/log/containers", "/var/log/pods"}) {
    if (!fs::exists(p)) absent_.push_back(p);
  }
}

void KubeletHostPaths::Restore(const std::string& node) const {
  std::error_code ec;
  // Static pods are named <name>-<node>: log dirs are <ns>_<name>-<node>_<uid>,
  // links <name>-<node>_<ns>_<container>-<id>.log.
  for (const char* dir : {"/var/log/pods", "/var/log/containers"}) {
    for (const auto& name : ListDirOrEmpty(dir)) {
      if (name.find("-" + node + "_") != std::string::npos) {
        fs::remove_all(fs::path(dir) / name, ec);
      }
    }
  }
  // The kubelet's device-plugin socket stays behind after it stops.
  if (std::find(absent_.begin(), absent_.end(), "/var/lib/kubelet/device-plugins") !=
      absent_.end()) {
    fs::remove("/var/lib/kubelet/device-plugins/kubelet.sock", ec);
  }
  for (const auto& p : absent_) fs::remove(p, ec);  // only when empty
}

Kubelet::Kubelet(std::string dir, std::string node, const BerthdProcess& berthd,
                 const std::string& extra_config)
    : dir_(std::move(dir)), node_(std::move(node)), endpoint_(berthd.endpoint()) {
  fs::create_directories(dir_ + "/manifests");
  fs::create_directories(dir_ + "/volume-plugins");
  fs::create_directories(root_dir());
  // The tools README's minimal standalone config, kept inside `dir` where the
  // kubelet allows it.
  std::ofstream(dir_ + "/config.yaml")
      << "apiVersion: kubelet.config.k8s.io/v1beta1\n"
      << "kind: KubeletConfiguration\n"
      << "cgroupDriver: cgroupfs\n"
      << "cgroupsPerQOS: false\n"
      << "enforceNodeAllocatable: []\n"
      << "failSwapOn: false\n"
      << "staticPodPath: " << dir_ << "/manifests\n"
      << "fileCheckFrequency: 1s\n"
      << "address: 127.0.0.1\n"
      << "port: " << kPort << "\n"
      << "readOnlyPort: " << kReadOnlyPort << "\n"
      << "healthzPort: 0\n"
      << "authentication: {anonymous: {enabled: true}, webhook: {enabled: false}}\n"
      << "authorization: {mode: AlwaysAllow}\n"
      << "oomScoreAdj: 0\n"  // no CAP_SYS_RESOURCE here
      << "makeIPTablesUtilChains: false\n"
      << "volumePluginDir: " << dir_
      << "/volume-plugins\n"
      // Keep the test image whatever the disk looks like.
      << "imageGCHighThresholdPercent: 100\n"
      << "imageGCLowThresholdPercent: 99\n"
      << "evictionHard: {memory.available: \"1Mi\", nodefs.available: \"1%\", "
         "imagefs.available: \"1%\"}\n"
      << extra_config;
}

Kubelet::~Kubelet() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
}

void Kubelet::Start() {
  ASSERT_EQ(access(KubeletPath().c_str(), X_OK), 0) << "kubelet not found at " << KubeletPath();
  for (int port : {kPort, kReadOnlyPort}) {
    ASSERT_TRUE(PortFree(port)) << "127.0.0.1:" << port
                                << " is taken: another kubelet (or test) is running; the kubelet "
                                   "test needs ports 10250 and 10255";
  }
  const std::vector<std::string> argv = {
      KubeletPath(), "--config=" + dir_ + "/config.yaml",
      "--container-runtime-endpoint=" + endpoint_, "--image-service-endpoint=" + endpoint_,
      "--root-dir=" + root_dir(), "--cert-dir=" + dir_ + "/pki", "--hostname-override=" + node_,
      // berthd runs its built-in pause: this image is never pulled.
      "--pod-infra-container-image=registry.invalid/berth-kubelet-it/pause:never-pulled", "--v=2"};
  int log_fd =
      open((dir_ + "/kubelet.log").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  ASSERT_GE(log_fd, 0);
  pid_ = Spawn(argv, log_fd);
  ASSERT_GT(pid_, 0);
  close(log_fd);
  bool healthy = PollUntil(std::chrono::seconds(60), [&] {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return true;  // reported below
    }
    return HttpGet("/healthz") == "ok";
  });
  ASSERT_GT(pid_, 0) << "kubelet exited during start-up:\n" << Log();
  ASSERT_TRUE(healthy) << "kubelet's /healthz did not answer ok within 60 s:\n" << Log();
}

bool Kubelet::Stop(std::chrono::seconds timeout) {
  if (pid_ <= 0) return true;
  kill(pid_, SIGTERM);
  int status = 0;
  // Its exit, seen through a pidfd; reaped right after.
  const bool exited = process::WaitProcessGone(pid_, timeout) && waitpid(pid_, &status, 0) == pid_;
  if (!exited) {
    kill(pid_, SIGKILL);
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return false;
  }
  pid_ = -1;
  return true;
}

std::map<std::string, KubePod> Kubelet::Pods() const {
  std::string body = HttpGet("/pods");
  json list = json::parse(body, nullptr, false);
  if (list.is_discarded() || list.value("kind", "") != "PodList") {
    ADD_FAILURE() << "kubelet's /pods did not answer a PodList: " << body.substr(0, 500);
    return {};
  }
  return ParsePodList(list);
}

json Kubelet::StatsSummary(std::string* raw) const {
  *raw = HttpGet("/stats/summary");
  json summary = json::parse(*raw, nullptr, false);
  if (summary.is_discarded() || !summary.is_object() || !summary.contains("pods")) return nullptr;
  return summary;
}

void Kubelet::WriteManifest(const std::string& file, const json& pod) const {
  // The kubelet's file source skips dot files, so the temporary stays unseen.
  const std::string tmp = dir_ + "/manifests/." + file + ".tmp";
  std::ofstream(tmp) << pod.dump(2) << "\n";
  fs::rename(tmp, dir_ + "/manifests/" + file);
}

void Kubelet::RemoveManifest(const std::string& file) const {
  fs::remove(dir_ + "/manifests/" + file);
}

std::string Kubelet::Log() const {
  return ReadAll(dir_ + "/kubelet.log");
}

std::string Kubelet::PodLogDir(const std::string& pod, const std::string& uid) const {
  return "/var/log/pods/default_" + pod + "-" + node_ + "_" + uid;
}

}  // namespace berth::testing
