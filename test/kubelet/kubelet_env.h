// A real kubelet (../shared/tools/kubelet, standalone: static pods from a
// manifest directory) against a private berthd: its process, config and
// read-only port, and the host paths it writes outside its --root-dir.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "test/integration/harness/berthd_fixture.h"

namespace berth::testing {

// One container as the kubelet reports it on /pods.
struct KubeContainer {
  bool ready = false;
  int restart_count = 0;
  std::string state;   // "running", "waiting", "terminated" ("" before the first status)
  std::string reason;  // of the waiting or terminated state
  std::string message;
  int exit_code = -1;  // terminated state only
  bool has_last_terminated = false;
  int last_exit_code = -1;
  std::string last_reason;
};

// One pod as the kubelet reports it on /pods.
struct KubePod {
  std::string uid, phase, pod_ip;
  bool ready = false;  // the Ready condition is "True"
  std::map<std::string, KubeContainer> containers;
};

// A v1 PodList as pods keyed by metadata.name.
std::map<std::string, KubePod> ParsePodList(const nlohmann::json& list);
// One line per pod and container, for failure messages.
std::string Describe(const std::map<std::string, KubePod>& pods);

// Calls `done` until it returns true or `timeout` passes (false then). The
// kubelet publishes nothing we could wait on, so its state is polled.
bool PollUntil(std::chrono::milliseconds timeout, const std::function<bool()>& done,
               std::chrono::milliseconds interval = std::chrono::milliseconds(250));

// Paths the kubelet writes whatever its flags say (/var/log/pods,
// /var/log/containers, /var/lib/kubelet/device-plugins): remembers which
// existed, so that Restore() removes only what this test made.
class KubeletHostPaths {
 public:
  KubeletHostPaths();
  // Removes the pod log dirs and container log links naming `node`, then the
  // directories the kubelet created for this test if they are empty by then.
  void Restore(const std::string& node) const;

 private:
  std::vector<std::string> absent_;  // deepest first
};

class Kubelet {
 public:
  static constexpr int kPort = 10250;
  static constexpr int kReadOnlyPort = 10255;

  // `dir` holds the config, manifests, --root-dir and log; `node` is the
  // --hostname-override (static pods are named <name>-<node>);
  // `extra_config` is appended to the KubeletConfiguration (YAML lines).
  Kubelet(std::string dir, std::string node, const BerthdProcess& berthd,
          const std::string& extra_config = "");
  ~Kubelet();  // SIGKILL if still running

  // Fails (fatal) when 127.0.0.1:10250 or :10255 is taken, or when the
  // kubelet exits or does not answer /healthz within a minute.
  void Start();
  // SIGTERM; false when it had to be killed after `timeout`.
  bool Stop(std::chrono::seconds timeout = std::chrono::seconds(30));
  bool running() const { return pid_ > 0; }

  // GET /pods on the read-only port; fails (non-fatal) and returns {} when
  // the port does not answer with a PodList.
  std::map<std::string, KubePod> Pods() const;
  // GET /stats/summary on the read-only port: the Summary object, or null
  // when the answer is not one (`raw` then says what came instead).
  nlohmann::json StatsSummary(std::string* raw) const;

  // Writes manifests/<file> atomically (the kubelet must never read half a file).
  void WriteManifest(const std::string& file, const nlohmann::json& pod) const;
  void RemoveManifest(const std::string& file) const;

  std::string Log() const;
  const std::string& node() const { return node_; }
  std::string root_dir() const { return dir_ + "/root"; }
  // /var/log/pods/<namespace>_<name>-<node>_<uid>: the pod's log directory.
  std::string PodLogDir(const std::string& pod, const std::string& uid) const;

 private:
  std::string dir_, node_, endpoint_;
  pid_t pid_ = -1;
};

}  // namespace berth::testing
