// Seccomp profiles on Windows (localhost_profile.cc is the Linux one).
// seccomp filters the system calls of a Linux kernel: a Windows container has
// none to filter (HCS confines it with job objects and silos), and the names
// a profile is checked against come from libseccomp, which is Linux-only. So
// "no filter" (Unconfined, privileged) is answered as on Linux, and every
// profile that asks for a filter is refused by name.
#include "pkg/seccomp/profile_parser.h"
#include "pkg/seccomp/seccomp_profile.h"

namespace berth::seccomp {
namespace {

using nlohmann::json;

Status LinuxOnly(std::string_view what) {
  return Unimplemented(std::string(what) +
                       ": seccomp is Linux-only; Windows containers are confined by HCS "
                       "(job objects and silos), without a system call filter");
}

}  // namespace

Result<json> ParseProfileText(std::string_view source, std::string_view, const ConditionContext&) {
  return LinuxOnly("seccomp profile " + std::string(source.substr(0, 256)));
}

Result<json> LoadProfileFile(const std::string& path, const ConditionContext&) {
  return LinuxOnly("seccomp profile " + path.substr(0, 256));
}

Result<json> LoadLocalhostProfile(const std::string& path) {
  return LinuxOnly("seccomp profile " + path.substr(0, 256));
}

Result<std::optional<json>> ProfileFor(ProfileType type, const std::string& localhost_path,
                                       bool privileged, const std::vector<std::string>&) {
  if (privileged) return std::optional<json>();
  switch (type) {
    case ProfileType::kUnconfined:
      return std::optional<json>();
    case ProfileType::kRuntimeDefault:
      return LinuxOnly("seccomp profile RuntimeDefault");
    case ProfileType::kLocalhost:
      if (localhost_path.empty()) {
        return InvalidArgument("seccomp profile type Localhost needs a profile path");
      }
      return LinuxOnly("seccomp profile " + localhost_path.substr(0, 256));
  }
  return InvalidArgument("unknown seccomp profile type");
}

}  // namespace berth::seccomp
