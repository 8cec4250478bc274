// Sysctl validation for pod-level sysctls.
//
// Only namespaced sysctls are accepted, and only when the pod owns the
// namespace they live in: kernel.shm*, kernel.msg*, kernel.sem and fs.mqueue.*
// need the pod's own IPC namespace, net.* its own network namespace. Names and
// values are checked so one entry cannot smuggle another ("a=b+c=d", newlines)
// or walk out of /proc/sys ("net/../..").
#pragma once

#include <map>
#include <string>

#include "pkg/base/status.h"

namespace berth::oci {

// InvalidArgument naming the offending key on the first bad entry.
Status ValidateSysctls(const std::map<std::string, std::string>& sysctls, bool has_own_netns,
                       bool has_own_ipc);

}  // namespace berth::oci
