// The includes/excludes conditions of docker-style profiles, which make a
// syscall rule apply only to some capabilities, architectures or kernels.
//
// How berth evaluates them (as docker does, against the container):
//   includes: the rule applies only if the container holds ALL listed caps,
//             the native architecture is one of the listed arches, and the
//             running kernel is at least minKernel.
//   excludes: the rule is dropped if the container holds ANY listed cap, the
//             native architecture is listed, or the kernel is at least
//             minKernel.
// When the capabilities are not known (LoadLocalhostProfile without a
// container), the container is taken to hold none: cap-gated allows are
// dropped and cap-exempted rules kept, the stricter reading for the usual
// "allow X with CAP_Y" profiles.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "pkg/base/status.h"
#include "pkg/seccomp/capability_set.h"

namespace berth::seccomp {

struct KernelVersion {
  int major = 0;
  int minor = 0;
  auto operator<=>(const KernelVersion&) const = default;
};

// "5.10" (a condition) or "6.1.0-18-amd64" (uname's release): the leading
// major.minor. nullopt if it does not start with digits '.' digits.
std::optional<KernelVersion> ParseKernelVersion(std::string_view text, bool exact);
// The running kernel's version from uname(2); {0, 0} if unreadable.
KernelVersion RunningKernel();

// What a profile's conditions are evaluated against.
struct ConditionContext {
  CapabilitySet capabilities;
  uint32_t native_arch = 0;  // libseccomp token
  KernelVersion kernel;
};

struct RuleFilter {
  std::vector<std::string> caps;  // canonical "CAP_*" names
  std::vector<uint32_t> arches;   // libseccomp tokens
  std::optional<KernelVersion> min_kernel;
};

// Parses an includes/excludes object; errors name `where` and the bad field.
Result<RuleFilter> ParseRuleFilter(const nlohmann::json& value, const std::string& where);

// Whether a rule with these conditions applies in `context` (see above).
bool RuleApplies(const RuleFilter& includes, const RuleFilter& excludes,
                 const ConditionContext& context);

}  // namespace berth::seccomp
