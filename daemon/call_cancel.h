// The cancellation of one CRI call as a pkg/base CancelToken, so that pkg/
// code can stop long work without knowing gRPC.
#pragma once

#include <grpcpp/server_context.h>

#include "pkg/base/cancel.h"

namespace berth::daemon {

// Cancelled once the client cancels the call (or goes away) or the call's
// deadline passes. Valid only while the call runs (it polls `context`).
CancelToken CancelTokenOf(const grpc::ServerContextBase& context);

}  // namespace berth::daemon
