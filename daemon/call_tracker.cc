#include "daemon/call_tracker.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <vector>

namespace berth::daemon {

CallTracker::CallTracker(std::chrono::milliseconds threshold, std::chrono::milliseconds repeat)
    : threshold_(threshold), repeat_(repeat), watchdog_([this] { Watch(); }) {}

CallTracker::~CallTracker() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  watchdog_.join();
}

void CallTracker::Add(const std::shared_ptr<CallContext>& call) {
  {
    std::lock_guard lock(mu_);
    calls_[call.get()] = Tracked{call, call->start() + threshold_};
  }
  wake_.notify_all();  // the watchdog may be sleeping past this call's deadline
}

void CallTracker::Remove(const CallContext* call) {
  std::lock_guard lock(mu_);
  calls_.erase(call);
}

void CallTracker::Watch() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    // Sleep until the earliest report is due (or a call is added or we stop).
    auto now = std::chrono::steady_clock::now();
    auto due = now + repeat_;
    std::vector<std::shared_ptr<CallContext>> slow;
    for (auto& [_, t] : calls_) {
      if (t.next_report <= now) {
        slow.push_back(t.call);
        t.next_report = now + repeat_;
      }
      due = std::min(due, t.next_report);
    }
    if (!slow.empty()) {
      // Logging without the lock: a sink may block, calls must not.
      lock.unlock();
      for (const auto& call : slow) ReportSlow(call);
      lock.lock();
      continue;
    }
    wake_.wait_until(lock, due);
  }
}

void CallTracker::ReportSlow(const std::shared_ptr<CallContext>& call) {
  // The line carries the call's prefix like the handler's own lines.
  CallScope scope(call);
  const std::string step = call->step();
  spdlog::warn("rpc {} still running after {:.1f} s, at step: {}", call->method(),
               call->ElapsedSeconds(), step.empty() ? "(none marked)" : step);
}

}  // namespace berth::daemon
