// What a seccomp profile (OCI JSON) allows outright, for tests that judge a
// profile by its rules rather than by comparing it with another profile.
#pragma once

#include <nlohmann/json.hpp>

#include <set>
#include <string>

namespace berth::seccomp::test_support {

// Syscall names some SCMP_ACT_ALLOW rule allows with no argument condition.
inline std::set<std::string> PlainAllowed(const nlohmann::json& profile) {
  std::set<std::string> out;
  if (!profile.contains("syscalls")) return out;
  for (const nlohmann::json& rule : profile.at("syscalls")) {
    if (rule.value("action", "") != "SCMP_ACT_ALLOW" || rule.contains("args")) continue;
    for (const nlohmann::json& name : rule.at("names")) out.insert(name.get<std::string>());
  }
  return out;
}

}  // namespace berth::seccomp::test_support
