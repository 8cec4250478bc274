// Validation of a whole PodSandboxConfig before anything is reserved or made.
// Every error is InvalidArgument (or Unimplemented for features berth lacks)
// and names the field.
#pragma once

#include "daemon/internal_annotations.h"
#include "pkg/base/status.h"
#include "runtime/v1/api.pb.h"

namespace berth::daemon {

// `cgroup_manager` is "cgroupfs" or "systemd" (decides the cgroup_parent form).
Status ValidatePodSandboxConfig(const runtime::v1::PodSandboxConfig& config,
                                const std::string& cgroup_manager);

}  // namespace berth::daemon
