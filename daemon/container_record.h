// How a Container is written into (and read back from) the annotations of its
// config.json, and the state.json beside it that holds what changes later.
#pragma once

#include <map>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "daemon/container.h"
#include "pkg/base/status.h"

namespace berth::daemon {

// berth's own annotations (prefix io.berth.internal.) plus the names other
// CRI tools look for (io.kubernetes.cri.*).
std::map<std::string, std::string> ContainerAnnotations(const Container& container);

// Rebuilds the fixed part of a Container. InvalidArgument names the missing
// or unreadable key.
Result<std::shared_ptr<Container>> ContainerFromAnnotations(
    const std::map<std::string, std::string>& annotations);

// state.json: state, pid, times, exit code, reason, message, resources.
std::string ContainerStateJson(const Container& container);
Status ApplyContainerStateJson(const std::string& json_text, Container* container);

// Copies the user config.json's process runs as (process.user) into the
// container, for ContainerStatus.user. InvalidArgument naming the member when
// one has the wrong type or range (a config.json damaged on disk).
Status ApplyProcessUser(const nlohmann::json& process, Container* container);
// The same, for a spec berth has just built: errors cannot happen there.
void RecordProcessUser(const nlohmann::json& process, Container* container);

}  // namespace berth::daemon
