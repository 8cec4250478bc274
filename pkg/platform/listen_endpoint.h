// Which CRI listen endpoints a platform can serve: a unix socket path on Linux,
// a named pipe `npipe:////./pipe/<name>` on Windows. Portable, so config
// validation can check either platform's rules from any build.
#pragma once

#include <string>
#include <string_view>

#include "pkg/base/status.h"

namespace berth::platform {

enum class TargetPlatform { kLinux, kWindows };

// The platform this binary was built for.
TargetPlatform HostPlatform();

// Linux: an absolute socket path, optionally as unix:///path.
// Windows: npipe:////./pipe/<name>, name 1-256 characters without '\', '/' or controls.
// InvalidArgument names the endpoint and the rule it breaks.
Status ValidateListenEndpoint(std::string_view endpoint, TargetPlatform platform);
bool IsValidListenEndpoint(std::string_view endpoint, TargetPlatform platform);

// \\.\pipe\<name> for a valid npipe endpoint (what CreateNamedPipeW takes).
Result<std::string> NamedPipePath(std::string_view endpoint);

}  // namespace berth::platform
