// NodeProfile: what this node lets containers have, probed once at start-up
// (cgroup layout and controllers, the daemon's capabilities), so that every
// spec asks the OCI runtime only for what it can give. Status verbose info
// shows it under "node".
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pkg/cgroups/host_cgroups.h"
#include "pkg/oci/capabilities.h"

namespace berth::oci {

struct NodeProfile {
  // False for a profile nobody probed (unit tests of spec shapes): then
  // resources pass through unchanged.
  bool probed = false;
  cgroups::HostCgroups cgroups;
  CapabilityMask held_capabilities = kEveryCapability;
  // berthd's own oom_score_adj, the floor of what a spec may ask for;
  // nullopt when unreadable (the spec builders then read it themselves).
  std::optional<int> own_oom_score_adj;

  nlohmann::json ToJson() const;
};

// The live node.
NodeProfile ProbeNode();

// Removes from an OCI linux.resources object what the node's cgroups cannot
// set (a limit for a controller without a hierarchy, `unified` off v2, swap
// without swap accounting), since runc fails the whole container for it.
// Where swap is accounted, a memory limit without a swap limit gets
// memory+swap = memory (no swap beyond the limit). Returns one phrase per
// removal, for the caller's log line; an unprobed profile changes nothing.
std::vector<std::string> FitResourcesToNode(nlohmann::json* resources, const NodeProfile& node);

}  // namespace berth::oci
