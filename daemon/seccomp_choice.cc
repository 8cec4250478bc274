#include "daemon/seccomp_choice.h"

#include <cstring>

#include "daemon/validate.h"

namespace berth::daemon {
namespace {

namespace rt = runtime::v1;
using seccomp::ProfileType;

// The pod's and the container's security contexts spell both fields alike.
template <typename SecurityContext>
Result<SeccompChoice> Choose(const SecurityContext& sc, const std::string& who) {
  if (sc.has_seccomp()) {
    switch (sc.seccomp().profile_type()) {
      case rt::SecurityProfile::RuntimeDefault:
        return SeccompChoice(ProfileType::kRuntimeDefault, "");
      case rt::SecurityProfile::Unconfined:
        return SeccompChoice(ProfileType::kUnconfined, "");
      case rt::SecurityProfile::Localhost: {
        const std::string& ref = sc.seccomp().localhost_ref();
        BERTH_RETURN_IF_ERROR(CheckAbsolutePath(who + ": seccomp localhost_ref", ref));
        return SeccompChoice(ProfileType::kLocalhost, ref);
      }
      default:
        return InvalidArgument(who + ": unknown seccomp profile type " +
                               std::to_string(sc.seccomp().profile_type()));
    }
  }
  // The field is deprecated, yet older kubelets still send it.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  const std::string& path = sc.seccomp_profile_path();
#pragma GCC diagnostic pop
  if (path.empty() || path == "unconfined") return SeccompChoice(ProfileType::kUnconfined, "");
  if (path == "runtime/default" || path == "docker/default") {
    return SeccompChoice(ProfileType::kRuntimeDefault, "");
  }
  if (path.rfind("localhost/", 0) == 0) {
    std::string file = path.substr(strlen("localhost"));
    BERTH_RETURN_IF_ERROR(CheckAbsolutePath(who + ": seccomp_profile_path", file));
    return SeccompChoice(ProfileType::kLocalhost, file);
  }
  return InvalidArgument(who + ": seccomp_profile_path \"" + path +
                         "\" is not runtime/default, unconfined or localhost/<path>");
}

}  // namespace

Result<SeccompChoice> ChooseSeccomp(const rt::LinuxContainerSecurityContext& sc,
                                    const std::string& who) {
  return Choose(sc, who);
}
Result<SeccompChoice> ChooseSeccomp(const rt::LinuxSandboxSecurityContext& sc,
                                    const std::string& who) {
  return Choose(sc, who);
}

}  // namespace berth::daemon
