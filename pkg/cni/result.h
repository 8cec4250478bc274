// Parsing what CNI plugins print: a result on success, an error object on failure.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "pkg/base/status.h"
#include "pkg/cni/types.h"

namespace berth::cni {

// Parses a result in the 0.3.x, 0.4.0, 1.0.0 or 1.1.0 format. Addresses may
// carry a prefix ("10.0.0.2/24") or not; each is checked to be an IP address.
// `expected_version` (may be "") is used when the result names none.
Result<CniResult> ParseCniResult(std::string_view json_text,
                                 std::string_view expected_version = "");

// The error object a failing plugin prints: {"code": N, "msg": "...", "details": "..."}.
struct PluginError {
  int code = 0;
  std::string msg;
  std::string details;
};
std::optional<PluginError> ParsePluginError(std::string_view json_text);

// Bare addresses of the IPs on interfaces inside the sandbox (or with no
// interface index), in result order.
std::vector<std::string> PodIps(const CniResult& result);

}  // namespace berth::cni
