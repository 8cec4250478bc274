// Maps berth::Status onto gRPC status codes (the only place that knows both).
#pragma once

#include <grpcpp/support/status.h>

#include "pkg/base/status.h"

namespace berth::daemon {

grpc::Status ToGrpcStatus(const Status& status);

}  // namespace berth::daemon
