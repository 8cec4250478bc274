// Retrying an HTTP request: 5xx, 429 and broken connections are retried with
// exponential backoff, a bounded number of times; everything else is final.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>

#include "pkg/registry/http_transport.h"

namespace berth::registry {

struct RetryPolicy {
  int max_attempts = 4;
  std::chrono::milliseconds initial_backoff{250};
  std::chrono::milliseconds max_backoff{4000};
};

// True for a response status worth another attempt.
bool IsRetryableStatus(long status);

// Runs `attempt` until it returns a result that is not retryable or attempts run out.
// Before each retry, `before_retry` (if set) may veto it by returning non-OK (e.g. a
// sink that cannot rewind); that status is then returned. The backoff sleep wakes
// early when `cancel` is cancelled.
HttpResult PerformWithRetry(const std::function<HttpResult()>& attempt, const RetryPolicy& policy,
                            const CancelToken& cancel,
                            const std::function<Status()>& before_retry = nullptr);

}  // namespace berth::registry
