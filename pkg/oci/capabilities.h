// Linux capability names: the table berth knows, the default set a container
// gets, and name normalization for CRI add/drop lists.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace berth::oci {

// The kernel's number for a capability named "NET_ADMIN", "CAP_NET_ADMIN" or
// "cap_net_admin"; nullopt for a name berth does not know.
std::optional<int> CapabilityNumber(const std::string& name);

// "CAP_<NAME>" for a known number (0 <= n < KnownCapabilityCount()).
std::string CapabilityName(int number);
int KnownCapabilityCount();

// Every capability this kernel has (up to /proc/sys/kernel/cap_last_cap),
// in numeric order: what a privileged container gets.
std::vector<std::string> AllCapabilities();

// The set an unprivileged container starts from (as containerd and CRI-O).
std::vector<std::string> DefaultCapabilities();

}  // namespace berth::oci
