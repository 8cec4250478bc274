// Which seccomp profile a pod's infra process or a container asked for: the
// CRI `seccomp` field, or the older path string ("runtime/default",
// "unconfined", "localhost/<path>") that kubelets still send. Nothing set
// means unconfined, as the kubelet and the other runtimes treat it.
#pragma once

#include <string>
#include <utility>

#include "pkg/base/status.h"
#include "pkg/seccomp/seccomp_profile.h"
#include "runtime/v1/api.pb.h"

namespace berth::daemon {

using SeccompChoice = std::pair<seccomp::ProfileType, std::string>;  // type, localhost path

// `who` prefixes errors ("container web", "pod sandbox").
Result<SeccompChoice> ChooseSeccomp(const runtime::v1::LinuxContainerSecurityContext& sc,
                                    const std::string& who);
Result<SeccompChoice> ChooseSeccomp(const runtime::v1::LinuxSandboxSecurityContext& sc,
                                    const std::string& who);

}  // namespace berth::daemon
