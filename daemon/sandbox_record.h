// How a Sandbox is written into (and read back from) the annotations of its
// config.json, the truth that restore() rebuilds memory from, and the small
// state file beside it that holds what changes after creation.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "daemon/sandbox.h"
#include "pkg/base/status.h"

namespace berth::daemon {

// The annotations berth records for itself (prefix io.berth.internal.), merged
// into the OCI spec's annotations together with the pod's own.
std::map<std::string, std::string> SandboxAnnotations(const Sandbox& sandbox);

// Rebuilds the fixed part of a Sandbox from those annotations. InvalidArgument
// naming the missing or unreadable key when they are incomplete.
Result<std::shared_ptr<Sandbox>> SandboxFromAnnotations(
    const std::map<std::string, std::string>& annotations);

// state.json: state, pid, IPs, whether the network is attached, and the pod
// resources of the last UpdatePodSandboxResources.
std::string SandboxStateJson(const Sandbox& sandbox);
Status ApplySandboxStateJson(const std::string& json_text, Sandbox* sandbox);

}  // namespace berth::daemon
