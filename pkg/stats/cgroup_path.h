// Where a container's cgroup lives: the OCI spec's linux.cgroupsPath turned
// into a directory relative to a cgroup hierarchy's root.
//
// runc takes two forms. With its cgroupfs driver the path is a plain
// absolute path ("/berth/berth-<id>"); with its systemd driver it is
// "<slice>:<prefix>:<name>" and names a transient scope "<prefix>-<name>.scope"
// inside the slice, which systemd nests by dashes (a-b.slice lives at
// /a.slice/a-b.slice). berth only ever writes these two, so the form alone
// says which driver made the cgroup: no config lookup, and a container keeps
// its stats even if the node's cgroup_manager setting changed since it was
// created.
#pragma once

#include <string>
#include <string_view>

#include "pkg/base/status.h"

namespace berth::stats {

// The cgroup directory ("/a/b", "/" for the root) of a cgroupsPath in either
// form. InvalidArgument naming the path for anything else (a relative path,
// ".." components, a malformed systemd triple).
Result<std::string> CgroupDirOf(std::string_view cgroups_path);

// A pod's cgroup from its linux.cgroup_parent: a clean absolute path
// (cgroupfs) or a "<name>.slice" (systemd), told apart by form as above.
Result<std::string> PodCgroupDirOf(const std::string& cgroup_parent);

// linux.cgroupsPath of an OCI config.json's text.
Result<std::string> SpecCgroupsPath(std::string_view config_json);

}  // namespace berth::stats
