// CancelToken / CancelSource: how a long operation (a pull, a child process,
// a network call) learns that whoever asked for it no longer wants it, without
// knowing where the request came from (pkg/ knows nothing of gRPC).
//
// A token is cancelled once its source calls Cancel(), once its deadline
// passes, once a probe it was given says so (for origins that cannot notify,
// such as a gRPC sync server's ServerContext::IsCancelled), or once the token
// it was derived from is cancelled. Tokens are cheap to copy; copies share
// one state. A default-constructed token is never cancelled. Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>

#include "pkg/base/status.h"

namespace berth {

class CancelToken {
 public:
  using Clock = std::chrono::steady_clock;

  CancelToken() = default;  // never cancelled

  bool cancelled() const;
  // OK while not cancelled; else DeadlineExceeded (the deadline passed) or
  // Cancelled (anything else), the message starting with `what`.
  Status Check(std::string_view what) const;
  // The earliest deadline of this token and those it derives from.
  std::optional<Clock::time_point> deadline() const;

  // A token cancelled with this one, and also at `deadline`.
  CancelToken WithDeadline(Clock::time_point deadline) const;
  // A token cancelled with this one, and also once `probe` returns true.
  // The probe is polled by cancelled(), so it must be cheap and thread-safe.
  CancelToken WithProbe(std::function<bool()> probe) const;

  // Sleeps for `d` or until cancelled, whichever comes first (cancellation is
  // noticed within ~20 ms). True when the full time passed uncancelled.
  bool SleepFor(Clock::duration d) const;

 private:
  friend class CancelSource;
  struct State;
  explicit CancelToken(std::shared_ptr<const State> state) : state_(std::move(state)) {}
  std::shared_ptr<const State> state_;
};

// The cancelling side: Cancel() cancels every token it handed out (idempotent).
class CancelSource {
 public:
  CancelSource();
  // Tokens of this source are also cancelled with `parent`.
  explicit CancelSource(const CancelToken& parent);

  CancelToken token() const { return CancelToken(state_); }
  void Cancel();
  bool cancelled() const { return token().cancelled(); }

 private:
  std::shared_ptr<CancelToken::State> state_;
};

}  // namespace berth
