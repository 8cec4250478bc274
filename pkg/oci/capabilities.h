// Linux capability names: the table berth knows, the default set a container
// gets, and name normalization for CRI add/drop lists.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pkg/base/status.h"

namespace berth::oci {

// The kernel's number for a capability named "NET_ADMIN", "CAP_NET_ADMIN" or
// "cap_net_admin"; nullopt for a name berth does not know.
std::optional<int> CapabilityNumber(const std::string& name);

// "CAP_<NAME>" for a known number (0 <= n < KnownCapabilityCount()).
std::string CapabilityName(int number);
int KnownCapabilityCount();

// Bit n set: capability n. A runtime cannot give a container a capability
// its caller lacks (runc: "unable to apply caps: operation not permitted"),
// and nodes differ: no CAP_SYS_RESOURCE in the bounding set, user namespaces,
// nested setups.
using CapabilityMask = uint64_t;
constexpr CapabilityMask kEveryCapability = ~CapabilityMask{0};

// The capabilities a process holds, from /proc/<pid>/status text: those both
// effective and in the bounding set (CapEff & CapBnd). InvalidArgument when
// either line is missing or malformed.
Result<CapabilityMask> ParseHeldCapabilities(std::string_view proc_status);

// berthd's own (/proc/self/status); every capability when unreadable.
CapabilityMask ProbeHeldCapabilities();

// Every capability this kernel has (up to /proc/sys/kernel/cap_last_cap) and
// `held` contains, in numeric order: what "all capabilities" means for a
// privileged container or add_capabilities ["ALL"] (as containerd and CRI-O:
// all the runtime's caller currently has).
std::vector<std::string> AllCapabilities(CapabilityMask held);

// The names of the capabilities in `mask` ("CAP_CHOWN", ...), numeric order.
std::vector<std::string> CapabilityNames(CapabilityMask mask);

// The set an unprivileged container starts from (as containerd and CRI-O).
std::vector<std::string> DefaultCapabilities();

}  // namespace berth::oci
