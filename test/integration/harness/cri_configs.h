// Builders of the minimal valid pod and container configs the tests start
// from; a test sets what it is about on the result.
#pragma once

#include <string>
#include <vector>

#include "runtime/v1/api.pb.h"

namespace berth::testing {

// A pod named `name` in namespace "default", hostname `name`, label app=<name>.
runtime::v1::PodSandboxConfig PodConfig(const std::string& name, const std::string& uid = "uid-1");
// The pod shares the node's network namespace (no CNI).
void SetHostNetwork(runtime::v1::PodSandboxConfig* c);

// A container named `name` running `cmd` from `image`, logging to
// <name>.log under its pod's log directory, label app=<name>.
runtime::v1::ContainerConfig ContainerConfig(const std::string& name, const std::string& image,
                                             const std::vector<std::string>& cmd);

}  // namespace berth::testing
