// Container: one container of a pod as berthd keeps it in memory, and
// ContainerStore, the maps, name registrar and truncated-ID index that find it.
//
// Memory is a cache: every fixed field is also in the annotations of the
// container's config.json (container_record.h); what changes after creation
// is in state.json beside it and in conmon's exit file.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "daemon/list_entry_cache.h"
#include "daemon/object_store.h"
#include "runtime/v1/api.pb.h"

namespace berth::daemon {

struct Container {
  // --- fixed at creation ---
  std::string id;
  std::string name;  // k8s_<name>_<pod>_<namespace>_<uid>_<attempt>, in the registrar
  std::string sandbox_id;
  runtime::v1::ContainerConfig config;
  std::string image_id;    // "sha256:<config digest>"
  std::string image_name;  // the reference as the kubelet gave it
  std::string image_ref;   // a repo digest when known, else the image ID
  int64_t created_at_ns = 0;
  std::string bundle_dir;  // <root>/containers/<id>: config.json, state.json, rootfs
  std::string log_path;    // absolute: the pod's log_directory + config.log_path ("" = none)
  // The pod's runtime (containers never re-route).
  std::string runtime_name, runtime_path, runtime_root;
  int stop_signal = 15;
  // The process user as resolved into config.json (process.user).
  int64_t uid = 0, gid = 0;
  std::vector<int64_t> supplemental_gids;
  // What the platform set up for it (io.berth.gmsa.*; platform_hooks.h), kept
  // in config.json so removal and restore undo it.
  std::map<std::string, std::string> platform_annotations;

  // --- changes over the container's life; guarded by the store's lock ---
  runtime::v1::ContainerState state = runtime::v1::CONTAINER_UNKNOWN;
  int pid = 0;
  int64_t started_at_ns = 0;
  int64_t finished_at_ns = 0;
  int32_t exit_code = 0;
  std::string reason, message;
  runtime::v1::LinuxContainerResources resources;  // as created, then as updated
  std::string stage;  // while being created: the step in progress ("" when done)

  // Serializes operations (create, start, stop, remove, update) on it.
  std::mutex op_mu;
  // Its ListContainers entry, serialized, for its current state.
  ListEntryCache list_entry;
};

class ContainerStore : public ObjectStore<Container> {
 public:
  ContainerStore() : ObjectStore<Container>("container") {}
};

}  // namespace berth::daemon
