// Fuzz target: Localhost seccomp profiles (pkg/seccomp), in both the docker /
// Kubernetes form and the OCI LinuxSeccomp form, resolved for this machine.
//
// Input: one selector byte (its low bit picks whether the container holds
// CAP_SYS_ADMIN, which profiles' includes/excludes conditions test), then the
// profile. Properties of an accepted profile's OCI form:
//  - it is accepted again as a profile and converts to itself (what berth
//    writes into config.json is a profile berth would accept as it is);
//  - its defaultAction is an SCMP_ACT_* action, and each syscall rule names
//    at least one syscall and has an action.
// An error message names the profile and is escaped.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "pkg/seccomp/capability_set.h"
#include "pkg/seccomp/profile_parser.h"
#include "test/fuzz/fuzz_support.h"

namespace {

using berth::fuzz::Check;
using nlohmann::json;

bool IsAction(const json& value) {
  return value.is_string() && value.get<std::string>().starts_with("SCMP_ACT_");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static const berth::seccomp::ConditionContext kContexts[] = {
      berth::seccomp::HostContext(berth::seccomp::CapabilitySet()),
      berth::seccomp::HostContext(
          berth::seccomp::CapabilitySet(std::vector<std::string>{"CAP_SYS_ADMIN"})),
  };
  const auto& context = kContexts[data[0] & 1];
  const std::string_view text = berth::fuzz::AsText(data + 1, size - 1);
  auto oci = berth::seccomp::ParseProfileText("fuzz.json", text, context);
  if (!oci.ok()) {
    Check(oci.status().message().find("fuzz.json") != std::string::npos,
          "a profile error names the profile");
    Check(berth::fuzz::IsPrintableMessage(oci.status().message()),
          "a profile error is escaped and bounded", oci.status().message());
    return 0;
  }
  Check(oci->is_object() && IsAction(oci->value("defaultAction", json())),
        "an OCI profile has an SCMP_ACT_* default action");
  if (oci->contains("syscalls")) {
    for (const json& rule : (*oci)["syscalls"]) {
      Check(rule.contains("names") && rule["names"].is_array() && !rule["names"].empty(),
            "each syscall rule names a syscall");
      Check(IsAction(rule.value("action", json())), "each syscall rule has an action");
    }
  }
  auto again = berth::seccomp::ConvertProfile(*oci, context);
  Check(again.ok(), "berth's own OCI profile is accepted as a profile",
        oci->dump() + "\n" + again.status().message());
  Check(*again == *oci, "berth's own OCI profile converts to itself",
        oci->dump() + "\nconverts to\n" + again->dump());
  return 0;
}
