// The Localhost profile parser behind LoadLocalhostProfile, with the
// evaluation context made explicit so ProfileFor can pass the container's
// capabilities and tests can pick an architecture and kernel.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "pkg/base/status.h"
#include "pkg/seccomp/rule_conditions.h"

namespace berth::seccomp {

// Profiles are small (the common runtimes' defaults are ~20 KiB); a larger
// file is refused before it is parsed.
inline constexpr size_t kMaxProfileBytes = 1 << 20;

// The running machine: native architecture, uname's kernel, `capabilities`.
ConditionContext HostContext(const CapabilitySet& capabilities);

// Validates a parsed profile (either form) and returns its OCI LinuxSeccomp
// form. Errors name the item ("syscalls[3].names[1] ...") but not the file.
Result<nlohmann::json> ConvertProfile(const nlohmann::json& profile,
                                      const ConditionContext& context);

// Parses `text` as a profile; errors read "seccomp profile <source>: ...".
Result<nlohmann::json> ParseProfileText(std::string_view source, std::string_view text,
                                        const ConditionContext& context);

// Reads `path` (absolute, a regular file of at most kMaxProfileBytes) and
// parses it; errors read "seccomp profile <path>: ...".
Result<nlohmann::json> LoadProfileFile(const std::string& path, const ConditionContext& context);

}  // namespace berth::seccomp
