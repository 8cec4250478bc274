// The per-pod files containers mount: /etc/hostname, /etc/hosts,
// /etc/resolv.conf, and the pod's /dev/shm.
#pragma once

#include <string>
#include <vector>

#include "pkg/base/status.h"
#include "runtime/v1/api.pb.h"

namespace berth::daemon {

// Writes hostname, hosts and resolv.conf into `dir` (atomically each).
// resolv.conf comes from the pod's DNSConfig, else a copy of the host's.
Status WritePodEtcFiles(const std::string& dir, const std::string& hostname,
                        const runtime::v1::PodSandboxConfig& config,
                        const std::vector<std::string>& ips);

// The size of a pod's /dev/shm tmpfs (as the kubelet's default, 64 MiB).
inline constexpr const char* kPodShmSize = "size=65536k";

// The hostname a pod gets: its config's, else the metadata name when that is
// a valid host name, else the start of its ID.
std::string PodHostname(const runtime::v1::PodSandboxConfig& config, const std::string& id);

}  // namespace berth::daemon
