// The on-disk record of one attachment, so DEL uses exactly what ADD used even
// after the conf dir changed or the daemon restarted.
//
// File: <cache_dir>/<network>-<containerid>-<ifname>.json, written atomically.
// It is written before ADD (result null: "ADD may have started") and again
// with the result after ADD, so a crash mid-ADD still leaves the config that
// must be used to clean up.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pkg/base/status.h"
#include "pkg/cni/conf_list.h"
#include "pkg/cni/types.h"

namespace berth::cni {

struct CacheEntry {
  std::string network_name;
  std::string container_id;
  std::string ifname;
  nlohmann::json config;                 // the full conflist used at ADD
  std::optional<nlohmann::json> result;  // the final ADD result, when ADD finished
  std::string netns_path;
  std::string pod_name;
  std::string pod_namespace;
  std::string pod_uid;
  std::string cni_args;
  std::vector<PortMapping> port_mappings;
};

class ResultCache {
 public:
  explicit ResultCache(std::string dir) : dir_(std::move(dir)) {}

  std::string PathFor(const std::string& network, const std::string& container_id,
                      const std::string& ifname) const;

  // Creates the directory (0700) if needed and replaces the entry atomically.
  Status Write(const CacheEntry& entry) const;
  // NotFound when there is no entry; InvalidArgument when it cannot be read.
  Result<CacheEntry> Read(const std::string& network, const std::string& container_id,
                          const std::string& ifname) const;
  // Finds the entry for this container and ifname whatever the network's name
  // (the network may have been renamed or removed since ADD).
  Result<CacheEntry> FindForContainer(const std::string& container_id,
                                      const std::string& ifname) const;
  // Removing a missing entry is success.
  Status Remove(const std::string& network, const std::string& container_id,
                const std::string& ifname) const;

 private:
  std::string dir_;
};

}  // namespace berth::cni
