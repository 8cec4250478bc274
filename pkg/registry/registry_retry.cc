#include "pkg/registry/registry_retry.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace berth::registry {
namespace {

bool Retryable(const HttpResult& r) {
  if (r.failure == HttpFailure::kRetryable) return true;
  return r.failure == HttpFailure::kNone && IsRetryableStatus(r.response.status);
}

}  // namespace

bool IsRetryableStatus(long status) {
  return status == 429 || (status >= 500 && status <= 599);
}

HttpResult PerformWithRetry(const std::function<HttpResult()>& attempt, const RetryPolicy& policy,
                            const CancelToken& cancel,
                            const std::function<Status()>& before_retry) {
  std::chrono::milliseconds backoff = policy.initial_backoff;
  for (int i = 1;; ++i) {
    if (cancel.cancelled()) {
      HttpResult r;
      r.failure = HttpFailure::kCancelled;
      r.status = Cancelled("request cancelled");
      return r;
    }
    HttpResult r = attempt();
    if (!Retryable(r) || i >= policy.max_attempts) return r;
    spdlog::debug("registry: attempt {}/{} failed ({}), retrying in {} ms", i, policy.max_attempts,
                  r.failure == HttpFailure::kNone ? "HTTP " + std::to_string(r.response.status)
                                                  : r.status.message(),
                  backoff.count());
    if (!cancel.SleepFor(backoff)) {
      r.failure = HttpFailure::kCancelled;
      r.status = Cancelled("request cancelled");
      return r;
    }
    if (before_retry) {
      if (Status s = before_retry(); !s.ok()) {
        r.failure = HttpFailure::kWriter;
        r.status = s;
        return r;
      }
    }
    backoff = std::min(policy.max_backoff, backoff * 2);
  }
}

}  // namespace berth::registry
