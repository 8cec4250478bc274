// Shared checks for strings a pod spec hands us: they are hostile until these
// say otherwise, since they end up in paths, command lines and log lines.
#pragma once

#include <string>

#include "pkg/base/status.h"
#include "runtime/v1/api.pb.h"

namespace berth::daemon {

// [A-Za-z0-9._-], 1..253 chars, not "." or "..": safe in a file name.
Status CheckSafeName(const std::string& field, const std::string& value);
// RFC 1123 host name (labels of [A-Za-z0-9-], dots between), at most 64 chars.
Status CheckHostname(const std::string& field, const std::string& value);
// An IPv4 or IPv6 address literal.
Status CheckIp(const std::string& field, const std::string& value);
bool IsIp(const std::string& value);
// An absolute path with no ".." component and no NUL or newline.
Status CheckAbsolutePath(const std::string& field, const std::string& value);
// Labels and annotations of a pod or container (`who` prefixes the message):
// no key empty, no annotation in berth's internal prefix (berth writes those
// itself, and restore trusts them).
Status CheckLabelsAndAnnotations(
    const std::string& who, const google::protobuf::Map<std::string, std::string>& labels,
    const google::protobuf::Map<std::string, std::string>& annotations);
// Each element of a command line (container command/args, exec cmd): no NUL,
// which would cut the argument short where the runtime reads it.
Status CheckArgv(const std::string& field,
                 const google::protobuf::RepeatedPtrField<std::string>& argv);
// The credentials a PullImage request carries: no control character in any
// field (they go into HTTP headers), `auth` base64 of "username:password".
// Messages name the field, never the secret.
Status CheckAuthConfig(const runtime::v1::AuthConfig& auth);
// CPU and memory resources (a pod's overhead or resources, a container's
// resources and their updates): nothing negative, the kernel's CFS bounds,
// oom_score_adj in [-1000, 1000]; `field` prefixes the message.
Status CheckLinuxResources(const runtime::v1::LinuxContainerResources& resources,
                           const std::string& field);
// Printable text without newlines (for values written into files line by line).
Status CheckSingleLine(const std::string& field, const std::string& value);

}  // namespace berth::daemon
