// Seccomp profiles for containers: the built-in RuntimeDefault profile and
// Localhost profiles read from disk, both returned as an OCI runtime-spec
// LinuxSeccomp object (config.json's linux.seccomp).
//
// A Localhost profile is hostile input: it is parsed strictly and every
// syscall name is resolved with libseccomp for the architectures it targets,
// so a typo fails CreateContainer instead of silently allowing a syscall.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pkg/base/status.h"

namespace berth::seccomp {

enum class ProfileType {
  kUnconfined,      // no filter
  kRuntimeDefault,  // the built-in profile
  kLocalhost,       // a JSON file on the node
};

// The built-in default profile for this machine's native architecture (plus
// its compat architectures, e.g. x86 and x32 on x86_64). It allows what
// ordinary containers need and refuses what the common runtimes' defaults
// refuse (keyctl, add_key, request_key, bpf, kexec_*, mount outside
// CAP_SYS_ADMIN, unshare/clone of new user namespaces, ptrace without
// CAP_SYS_PTRACE, module loading, reboot, swapon, ...). Refused calls fail
// with EPERM. `capabilities` is the container's effective set ("CAP_SYS_ADMIN",
// ...): calls a granted capability needs are allowed, as in the common
// runtimes' profiles.
nlohmann::json RuntimeDefaultProfile(const std::vector<std::string>& capabilities);

// Reads and validates a Localhost profile file (absolute path). Accepts the
// OCI LinuxSeccomp form and the docker/Kubernetes profile form (defaultAction,
// architectures or archMap, syscalls[].names/name, action, args, errnoRet).
// Errors (InvalidArgument naming the file and the bad item): file missing or
// not JSON, unknown action, unknown architecture, unknown syscall name, bad
// argument operator or index.
Result<nlohmann::json> LoadLocalhostProfile(const std::string& path);

// The linux.seccomp value for a container: nullopt for Unconfined and for
// privileged containers (which run unfiltered, as the common runtimes do).
Result<std::optional<nlohmann::json>> ProfileFor(ProfileType type,
                                                 const std::string& localhost_path, bool privileged,
                                                 const std::vector<std::string>& capabilities);

}  // namespace berth::seccomp
