#include "pkg/oci/node_profile.h"

#include "pkg/oci/sandbox_spec.h"  // ReadOwnOomScoreAdj

namespace berth::oci {
namespace {

using nlohmann::json;

// Erases `key` from `obj` when present and not null; true when it held something.
bool Erase(json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end()) return false;
  bool had = !it->is_null() && !(it->is_structured() && it->empty());
  obj.erase(it);
  return had;
}

}  // namespace

json NodeProfile::ToJson() const {
  return {
      {"probed", probed},
      {"cgroup",
       {{"mode", cgroups.ModeName()},
        {"controllers", cgroups.controllers},
        {"swap_accounting", cgroups.swap_accounting}}},
      {"capabilities",
       {{"held", CapabilityNames(held_capabilities)},
        {"not_held", CapabilityNames(~held_capabilities)}}},
      {"oom_score_adj", own_oom_score_adj ? json(*own_oom_score_adj) : json(nullptr)},
  };
}

NodeProfile ProbeNode() {
  NodeProfile n;
  n.probed = true;
  n.cgroups = cgroups::ProbeHostCgroups();
  n.held_capabilities = ProbeHeldCapabilities();
  if (Result<int> own = ReadOwnOomScoreAdj(); own.ok()) n.own_oom_score_adj = *own;
  return n;
}

std::vector<std::string> FitResourcesToNode(json* resources, const NodeProfile& node) {
  std::vector<std::string> dropped;
  if (!node.probed || resources == nullptr || !resources->is_object()) return dropped;
  const cgroups::HostCgroups& cg = node.cgroups;
  const bool v2 = cg.mode == cgroups::Mode::kV2;
  auto drop = [&](json& obj, const char* key, const std::string& why) {
    if (Erase(obj, key)) dropped.push_back(std::string(key) + " (" + why + ")");
  };
  auto no = [](const char* controller) {
    return std::string("no ") + controller + " cgroup controller";
  };

  if (auto cpu = resources->find("cpu"); cpu != resources->end() && cpu->is_object()) {
    if (!cg.Has("cpu")) {
      for (const char* k :
           {"shares", "quota", "period", "burst", "realtimeRuntime", "realtimePeriod", "idle"}) {
        drop(*cpu, k, no("cpu"));
      }
    }
    if (!cg.Has("cpuset")) {
      for (const char* k : {"cpus", "mems"}) drop(*cpu, k, no("cpuset"));
    }
    if (cpu->empty()) resources->erase(cpu);
  }
  if (auto mem = resources->find("memory"); mem != resources->end() && mem->is_object()) {
    if (!cg.Has("memory")) {
      drop(*resources, "memory", no("memory"));
    } else {
      if (!cg.swap_accounting) {
        drop(*mem, "swap", "no swap accounting on this node");
      } else if (mem->contains("limit") && !mem->contains("swap")) {
        // A kubelet without NodeSwap sends no swap limit; left unset, runc
        // lets a container swap without bound beyond its memory limit.
        // memory+swap = memory means no swap (as containerd and CRI-O do).
        (*mem)["swap"] = (*mem)["limit"];
      }
      // cgroup v2 has no per-cgroup swappiness; runc refuses it there.
      if (v2) drop(*mem, "swappiness", "not on cgroup v2");
      if (mem->empty()) resources->erase(mem);
    }
  }
  if (!cg.Has("hugetlb")) drop(*resources, "hugepageLimits", no("hugetlb"));
  if (!cg.Has("pids")) drop(*resources, "pids", no("pids"));
  if (!cg.Has(v2 ? "io" : "blkio")) drop(*resources, "blockIO", no(v2 ? "io" : "blkio"));
  if (!cg.Has("rdma")) drop(*resources, "rdma", no("rdma"));
  if (v2 || (!cg.Has("net_cls") && !cg.Has("net_prio"))) {
    drop(*resources, "network", v2 ? "not on cgroup v2" : no("net_cls or net_prio"));
  }
  // On v2 device rules become an eBPF program; on v1 they need the hierarchy.
  if (!v2 && !cg.Has("devices")) drop(*resources, "devices", no("devices"));

  if (auto unified = resources->find("unified"); unified != resources->end()) {
    if (!v2) {
      drop(*resources, "unified", "the node is not on cgroup v2 (" + cg.ModeName() + ")");
    } else if (unified->is_object()) {
      // "memory.high" belongs to the memory controller; "cgroup.*" to the core.
      for (auto it = unified->begin(); it != unified->end();) {
        std::string controller = it.key().substr(0, it.key().find('.'));
        if (controller != "cgroup" && !cg.Has(controller)) {
          dropped.push_back("unified[" + it.key() + "] (" + no(controller.c_str()) + ")");
          it = unified->erase(it);
        } else {
          ++it;
        }
      }
      if (unified->empty()) resources->erase(unified);
    }
  }
  return dropped;
}

}  // namespace berth::oci
