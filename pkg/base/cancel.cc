#include "pkg/base/cancel.h"

#include <algorithm>
#include <string>
#include <thread>

namespace berth {

// One link of a chain: a token is cancelled when any link from it up to the
// root says so.
struct CancelToken::State {
  std::shared_ptr<const State> parent;
  mutable std::atomic<bool> flag{false};  // set by the owning CancelSource
  std::optional<Clock::time_point> deadline;
  std::function<bool()> probe;
};

namespace {

enum class Why { kNone, kCancelled, kDeadline };

template <typename StatePtr>
Why WhyCancelled(const StatePtr& state) {
  const auto now = CancelToken::Clock::now();
  for (auto* s = state.get(); s != nullptr; s = s->parent.get()) {
    if (s->flag.load(std::memory_order_acquire)) return Why::kCancelled;
    if (s->deadline && now >= *s->deadline) return Why::kDeadline;
    if (s->probe && s->probe()) return Why::kCancelled;
  }
  return Why::kNone;
}

}  // namespace

bool CancelToken::cancelled() const {
  return WhyCancelled(state_) != Why::kNone;
}

Status CancelToken::Check(std::string_view what) const {
  switch (WhyCancelled(state_)) {
    case Why::kNone:
      return OkStatus();
    case Why::kDeadline:
      return DeadlineExceeded(std::string(what) + ": deadline exceeded");
    case Why::kCancelled:
      break;
  }
  return Cancelled(std::string(what) + ": cancelled");
}

std::optional<CancelToken::Clock::time_point> CancelToken::deadline() const {
  std::optional<Clock::time_point> earliest;
  for (auto* s = state_.get(); s != nullptr; s = s->parent.get()) {
    if (s->deadline && (!earliest || *s->deadline < *earliest)) earliest = s->deadline;
  }
  return earliest;
}

CancelToken CancelToken::WithDeadline(Clock::time_point deadline) const {
  auto s = std::make_shared<State>();
  s->parent = state_;
  s->deadline = deadline;
  return CancelToken(std::move(s));
}

CancelToken CancelToken::WithProbe(std::function<bool()> probe) const {
  auto s = std::make_shared<State>();
  s->parent = state_;
  s->probe = std::move(probe);
  return CancelToken(std::move(s));
}

bool CancelToken::SleepFor(Clock::duration d) const {
  // Polled, not notified: a probe cannot wake a sleeper, and 20 ms slices
  // cost nothing next to the waits this is used for (backoffs, joins).
  constexpr auto kSlice = std::chrono::milliseconds(20);
  const auto until = Clock::now() + d;
  for (;;) {
    if (cancelled()) return false;
    const auto now = Clock::now();
    if (now >= until) return true;
    std::this_thread::sleep_for(std::min<Clock::duration>(kSlice, until - now));
  }
}

CancelSource::CancelSource() : state_(std::make_shared<CancelToken::State>()) {}

CancelSource::CancelSource(const CancelToken& parent) : CancelSource() {
  state_->parent = parent.state_;
}

void CancelSource::Cancel() {
  state_->flag.store(true, std::memory_order_release);
}

}  // namespace berth
