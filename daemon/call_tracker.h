// CallTracker: the CRI calls in flight, and a watchdog that names the step a
// slow one is at: a call still running after `threshold` logs a warning with
// its step, then again every `repeat` while it runs.
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "daemon/call_context.h"

namespace berth::daemon {

class CallTracker {
 public:
  explicit CallTracker(std::chrono::milliseconds threshold = std::chrono::seconds(1),
                       std::chrono::milliseconds repeat = std::chrono::seconds(10));
  ~CallTracker();  // stops the watchdog

  void Add(const std::shared_ptr<CallContext>& call);
  // Idempotent; a call never added is ignored.
  void Remove(const CallContext* call);

 private:
  struct Tracked {
    std::shared_ptr<CallContext> call;
    std::chrono::steady_clock::time_point next_report;
  };
  void Watch();
  void ReportSlow(const std::shared_ptr<CallContext>& call);

  const std::chrono::milliseconds threshold_;
  const std::chrono::milliseconds repeat_;
  std::mutex mu_;
  std::condition_variable wake_;                 // for stop_
  std::map<const CallContext*, Tracked> calls_;  // guarded by mu_
  bool stop_ = false;                            // guarded by mu_
  std::thread watchdog_;
};

}  // namespace berth::daemon
