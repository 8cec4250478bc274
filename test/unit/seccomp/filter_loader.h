// Test-only: installs an OCI LinuxSeccomp object as a real seccomp filter
// (the way runc does, through libseccomp) and runs checks under it in a
// forked child, so tests observe what a container would.
#pragma once

#include <functional>
#include <string>

#include <nlohmann/json.hpp>

namespace berth::seccomp::test_support {

// Sets no_new_privs and loads `profile` into the calling process. Returns ""
// or what went wrong. Irreversible: call only in a throw-away child.
std::string LoadFilter(const nlohmann::json& profile);

// Forks; the child loads `profile` and runs `checks`, which returns "" when
// every check held or a description of the first that did not. Returns the
// child's report ("" = all good), or how the child failed.
std::string RunUnderFilter(const nlohmann::json& profile,
                           const std::function<std::string()>& checks);

}  // namespace berth::seccomp::test_support
