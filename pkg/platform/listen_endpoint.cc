#include "pkg/platform/listen_endpoint.h"

namespace berth::platform {
namespace {

constexpr std::string_view kNpipePrefix = "npipe:////./pipe/";
constexpr std::string_view kUnixPrefix = "unix://";
// Windows documents 256 characters as the longest pipe name.
constexpr std::size_t kMaxPipeName = 256;
// sun_path is 108 bytes on Linux including the NUL.
constexpr std::size_t kMaxSocketPath = 107;

bool HasControl(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return true;
  }
  return false;
}

Status Bad(std::string_view endpoint, std::string_view why) {
  std::string shown(endpoint.substr(0, 300));
  for (char& c : shown) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  return InvalidArgument("listen endpoint \"" + shown + "\": " + std::string(why));
}

}  // namespace

TargetPlatform HostPlatform() {
#ifdef _WIN32
  return TargetPlatform::kWindows;
#else
  return TargetPlatform::kLinux;
#endif
}

Status ValidateListenEndpoint(std::string_view endpoint, TargetPlatform platform) {
  if (endpoint.empty()) return Bad(endpoint, "is empty");
  if (HasControl(endpoint)) return Bad(endpoint, "contains control characters");
  if (platform == TargetPlatform::kWindows) {
    if (!endpoint.starts_with(kNpipePrefix)) {
      return Bad(endpoint, "on Windows must be a named pipe npipe:////./pipe/<name>");
    }
    const std::string_view name = endpoint.substr(kNpipePrefix.size());
    if (name.empty()) return Bad(endpoint, "names no pipe");
    if (name.size() > kMaxPipeName) return Bad(endpoint, "pipe name longer than 256 characters");
    if (name.find_first_of("\\/") != std::string_view::npos) {
      return Bad(endpoint, "pipe name contains a path separator");
    }
    return OkStatus();
  }
  std::string_view path = endpoint;
  if (path.starts_with(kUnixPrefix)) path.remove_prefix(kUnixPrefix.size());
  if (!path.starts_with('/')) return Bad(endpoint, "on Linux must be an absolute socket path");
  if (path.size() > kMaxSocketPath) return Bad(endpoint, "socket path longer than 107 bytes");
  if (path.ends_with('/')) return Bad(endpoint, "names a directory, not a socket");
  return OkStatus();
}

bool IsValidListenEndpoint(std::string_view endpoint, TargetPlatform platform) {
  return ValidateListenEndpoint(endpoint, platform).ok();
}

Result<std::string> NamedPipePath(std::string_view endpoint) {
  BERTH_RETURN_IF_ERROR(ValidateListenEndpoint(endpoint, TargetPlatform::kWindows));
  return "\\\\.\\pipe\\" + std::string(endpoint.substr(kNpipePrefix.size()));
}

}  // namespace berth::platform
