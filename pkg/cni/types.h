// Plain data exchanged between the daemon and pkg/cni: what a pod asks of the
// network, and what the CNI plugins answered.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace berth::cni {

// One CRI port mapping, already in the form the portmap plugin wants.
struct PortMapping {
  int host_port = 0;       // 1..65535; mappings with 0 are dropped (no host port asked)
  int container_port = 0;  // 1..65535
  std::string protocol;    // "tcp", "udp" or "sctp" (lower-cased on input)
  std::string host_ip;     // "" = every host address
};

// Everything one ADD/DEL/CHECK needs to know about the pod.
struct PodNetworkRequest {
  std::string container_id;   // the sandbox ID: [A-Za-z0-9_.-], also names the cache entry
  std::string netns_path;     // pinned netns file; may be stale or missing on Detach
  std::string pod_name;       // K8S_POD_NAME
  std::string pod_namespace;  // K8S_POD_NAMESPACE
  std::string pod_uid;        // K8S_POD_UID
  std::vector<PortMapping> port_mappings;
};

// A CNI result, version-neutral (0.3.x, 0.4.0, 1.0.0 and 1.1.0 share this shape).
struct CniInterface {
  std::string name;
  std::string mac;
  std::string sandbox;  // netns path when the interface lives in the pod
};

struct CniIp {
  int family = 4;          // 4 or 6
  std::string address;     // the bare address, no prefix
  int prefix_length = -1;  // -1 when the plugin gave none
  std::string gateway;     // "" when none
  int interface = -1;      // index into CniResult::interfaces, -1 when absent
};

struct CniRoute {
  std::string dst;  // CIDR
  std::string gw;   // "" = default via the interface
};

struct CniResult {
  std::string cni_version;
  std::vector<CniInterface> interfaces;
  std::vector<CniIp> ips;
  std::vector<CniRoute> routes;
  std::vector<std::string> dns_nameservers;
};

// What Attach hands back: the final result of the chain, and the pod's
// addresses (those on an interface inside the sandbox, in plugin order).
struct AttachResult {
  std::string network_name;
  CniResult result;
  std::string raw_result;            // the last plugin's stdout, as cached
  std::vector<std::string> pod_ips;  // bare addresses, IPv4 and IPv6
};

// NetworkReady as the CRI Status call reports it.
struct NetworkStatus {
  bool ready = false;
  std::string network_name;  // when ready
  std::string config_file;   // when ready: the file the network came from
  std::string reason;        // when not ready: why (e.g. "no CNI network config found in /x")
  uint64_t generation = 0;   // bumped on every (re)load, for watchers and tests
};

struct CniOptions {
  std::string conf_dir = "/etc/cni/net.d";
  std::vector<std::string> plugin_dirs = {"/usr/lib/cni", "/opt/cni/bin"};
  std::string cache_dir = "/var/lib/berth/cni/results";
  std::string ifname = "eth0";
  std::chrono::milliseconds plugin_timeout{std::chrono::seconds(60)};
  bool bring_up_loopback = true;  // Attach first runs the loopback plugin for "lo"
};

}  // namespace berth::cni
