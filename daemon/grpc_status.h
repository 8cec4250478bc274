// Maps berth::Status onto gRPC status codes (the only place that knows both).
#pragma once

#include <grpcpp/support/status.h>

#include <string_view>

#include "pkg/base/status.h"

namespace berth::daemon {

grpc::Status ToGrpcStatus(const Status& status);

// The code's name as gRPC's own languages spell it ("OK", "NotFound",
// "DeadlineExceeded", ...): for logs and metric labels.
std::string_view GrpcCodeName(grpc::StatusCode code);

}  // namespace berth::daemon
