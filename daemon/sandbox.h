// Sandbox: one pod as berthd keeps it in memory, and SandboxStore, the maps,
// name registrar and truncated-ID index that find it.
//
// Memory is a cache: every field needed to rebuild a Sandbox is also in the
// annotations of its on-disk config.json (see sandbox_record.h).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

#include "pkg/base/status.h"
#include "pkg/registrar/name_registrar.h"
#include "pkg/truncindex/trunc_index.h"
#include "runtime/v1/api.pb.h"

namespace berth::daemon {

struct Sandbox {
  // --- fixed at creation ---
  std::string id;
  std::string name;  // k8s_<name>_<namespace>_<uid>_<attempt>, held in the registrar
  runtime::v1::PodSandboxConfig config;
  int64_t created_at_ns = 0;
  // The runtime chosen once at RunPodSandbox (never re-routed).
  std::string runtime_name, runtime_path, runtime_root, trust, route_reason;
  std::string bundle_dir;  // <root>/sandboxes/<id>
  std::string netns_path, ipcns_path, utsns_path;  // pinned files; "" = host
  std::string shm_path;                           // mounted tmpfs; "" = host IPC's /dev/shm

  // --- changes over the sandbox's life; guarded by the store's lock ---
  runtime::v1::PodSandboxState state = runtime::v1::SANDBOX_NOTREADY;
  std::vector<std::string> ips;  // first is the primary address
  int pid = 0;
  bool network_attached = false;
  std::string stage;  // while being created: the step in progress ("" when done)

  // Serializes operations (run, stop, remove, update) on this one sandbox.
  std::mutex op_mu;
};

// Owns every Sandbox. One shared lock guards the maps and the mutable fields
// above; it is never held across a call into another process.
class SandboxStore {
 public:
  // Resolves an ID or unique prefix; NotFound names the prefix.
  Result<std::shared_ptr<Sandbox>> Get(const std::string& id_or_prefix) const;
  // Adds a sandbox whose name is already reserved.
  Status Add(std::shared_ptr<Sandbox> sandbox);
  void Remove(const std::string& id);
  std::vector<std::shared_ptr<Sandbox>> List() const;

  NameRegistrar& names() { return names_; }

  // Reads or writes the mutable fields under the lock.
  template <typename Fn>
  auto Read(Fn&& fn) const {
    std::shared_lock lock(mu_);
    return fn();
  }
  template <typename Fn>
  auto Write(Fn&& fn) {
    std::unique_lock lock(mu_);
    return fn();
  }

 private:
  mutable std::shared_mutex mu_;
  std::map<std::string, std::shared_ptr<Sandbox>> by_id_;  // guarded by mu_
  TruncIndex index_;                                        // its own lock
  NameRegistrar names_;                                     // its own lock
};

}  // namespace berth::daemon
