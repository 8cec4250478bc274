// The node's pod CIDRs as the kubelet hands them to UpdateRuntimeConfig: one
// CIDR, or one per IP family joined by a comma on a dual-stack node
// ("10.244.1.0/24,fd00:10:244:1::/64").
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "pkg/base/status.h"

namespace berth::cni {

struct PodCidr {
  std::string text;  // canonical "address/prefix" (IPv6 in its shortest form)
  bool ipv6 = false;
};

// Parses a comma-separated list; blanks around each entry are ignored.
// InvalidArgument names the entry and why: empty, not address/prefix, a
// prefix out of range, or host bits set (host-local would refuse the range
// only when the first pod asks for an address).
Result<std::vector<PodCidr>> ParsePodCidrs(std::string_view list);

// The list as recorded and logged: canonical entries joined by ",".
std::string JoinPodCidrs(const std::vector<PodCidr>& cidrs);

// The default routes pods on these ranges need: "0.0.0.0/0" when one is
// IPv4, then "::/0" when one is IPv6 (containerd's .Routes).
std::vector<std::string> DefaultRoutesFor(const std::vector<PodCidr>& cidrs);

}  // namespace berth::cni
