// The one wrapper around every RPC, typed part: logs the (redacted) request at
// debug level, runs the handler and maps its Status to gRPC. Handlers stay
// free of this boilerplate: they return berth::Status.
#pragma once

#include <grpcpp/support/status.h>
#include <spdlog/spdlog.h>

#include "daemon/grpc_status.h"
#include "daemon/redact.h"

namespace berth::daemon {

template <typename Request, typename Fn>
grpc::Status HandleRpc(const char* name, const Request& request, Fn&& fn) {
  if (spdlog::should_log(spdlog::level::debug)) {
    spdlog::debug("rpc {} request: {}", name, RedactedDebugString(request));
  }
  return ToGrpcStatus(fn());
}

}  // namespace berth::daemon
