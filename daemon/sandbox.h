// Sandbox: one pod as berthd keeps it in memory, and SandboxStore, the maps,
// name registrar and truncated-ID index that find it (an ObjectStore).
//
// Memory is a cache: every field needed to rebuild a Sandbox is also in the
// annotations of its on-disk config.json (see sandbox_record.h).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "daemon/list_entry_cache.h"
#include "daemon/object_store.h"
#include "pkg/base/status.h"
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
  std::string bundle_dir;                          // <root>/sandboxes/<id>
  std::string netns_path, ipcns_path, utsns_path;  // pinned files; "" = host
  std::string shm_path;                            // mounted tmpfs; "" = host IPC's /dev/shm

  // --- changes over the sandbox's life; guarded by the store's lock ---
  runtime::v1::PodSandboxState state = runtime::v1::SANDBOX_NOTREADY;
  std::vector<std::string> ips;  // first is the primary address
  int pid = 0;
  bool network_attached = false;
  std::string stage;  // while being created: the step in progress ("" when done)
  // Last UpdatePodSandboxResources (absent until the first update).
  std::optional<runtime::v1::LinuxContainerResources> overhead, resources;

  // Serializes operations (run, stop, remove, update) on this one sandbox.
  std::mutex op_mu;
  // CreateContainer holds it shared, StopPodSandbox exclusive while it stops
  // the pod's containers, so no container is created into a stopping pod.
  std::shared_mutex containers_mu;
  // Its ListPodSandbox entry, serialized, for its current state.
  ListEntryCache list_entry;
};

// Owns every Sandbox (see object_store.h for the locking rules).
class SandboxStore : public ObjectStore<Sandbox> {
 public:
  SandboxStore() : ObjectStore<Sandbox>("pod sandbox") {}
};

}  // namespace berth::daemon
