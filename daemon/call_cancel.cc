#include "daemon/call_cancel.h"

#include <chrono>

namespace berth::daemon {

CancelToken CancelTokenOf(const grpc::ServerContextBase& context) {
  // IsCancelled is safe from any thread in the sync and callback APIs, and
  // also turns true when the deadline passes.
  CancelToken token = CancelToken().WithProbe([&context] { return context.IsCancelled(); });
  // The deadline goes on top (looked at first), so that a call past its
  // deadline is told DeadlineExceeded rather than Cancelled.
  const auto left = context.deadline() - std::chrono::system_clock::now();
  // A deadline decades away is gRPC's "none" (gpr_inf_future), which would
  // overflow once moved to the steady clock.
  if (left >= std::chrono::hours(24 * 365)) return token;
  return token.WithDeadline(CancelToken::Clock::now() +
                            std::chrono::duration_cast<CancelToken::Clock::duration>(left));
}

}  // namespace berth::daemon
