#include "daemon/removal_reaper.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace berth::daemon {

const std::vector<std::chrono::milliseconds>& RemovalReaper::DefaultRetryDelays() {
  // About 5 s in all: longer than the short failures seen, short enough that
  // a removal that keeps failing does not hold the queue (and an image
  // removal waiting on it) for long.
  static const std::vector<std::chrono::milliseconds> delays = {std::chrono::milliseconds(200),
                                                                std::chrono::milliseconds(1000),
                                                                std::chrono::milliseconds(4000)};
  return delays;
}

RemovalReaper::RemovalReaper(std::vector<std::chrono::milliseconds> retry_delays)
    : retry_delays_(std::move(retry_delays)), worker_([this] { Run(); }) {}

RemovalReaper::~RemovalReaper() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  changed_.notify_all();
  worker_.join();
}

void RemovalReaper::Enqueue(std::string id, std::vector<std::string> holds,
                            std::function<bool()> finish) {
  {
    std::lock_guard lock(mu_);
    active_[id] = std::move(holds);
    queue_.push_back(Job{std::move(id), std::move(finish)});
  }
  changed_.notify_all();
}

bool RemovalReaper::Pending(const std::string& id) const {
  std::lock_guard lock(mu_);
  return active_.count(id) != 0;
}

bool RemovalReaper::WaitReleased(const std::string& what, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mu_);
  return changed_.wait_for(lock, timeout, [&] {
    return std::none_of(active_.begin(), active_.end(), [&](const auto& entry) {
      return std::find(entry.second.begin(), entry.second.end(), what) != entry.second.end();
    });
  });
}

void RemovalReaper::Drain() const {
  std::unique_lock lock(mu_);
  changed_.wait(lock, [&] { return active_.empty(); });
}

void RemovalReaper::Run() {
  std::unique_lock lock(mu_);
  for (;;) {
    // Queued work is finished even when stopping: what is left to restore
    // is only what a crash interrupts.
    changed_.wait(lock, [&] { return stop_ || !queue_.empty(); });
    if (queue_.empty()) return;
    Job job = std::move(queue_.front());
    queue_.pop_front();
    RunWithRetries(job, lock);
    active_.erase(job.id);
    changed_.notify_all();
  }
}

void RemovalReaper::RunWithRetries(Job& job, std::unique_lock<std::mutex>& lock) {
  for (size_t attempt = 0;; ++attempt) {
    lock.unlock();
    const bool done = job.finish();
    lock.lock();
    if (done) return;
    // Retried in place, so that the answered order holds (a pod's
    // containers before the pod); a stop ends the waiting at once.
    if (attempt == retry_delays_.size() ||
        changed_.wait_for(lock, retry_delays_[attempt], [&] { return stop_; })) {
      spdlog::warn("removal of {}: left after {} attempt(s); the next start finishes it", job.id,
                   attempt + 1);
      return;
    }
  }
}

bool ReapStepOk(const Status& step, const std::string& what, const std::string& id) {
  if (step.ok()) return true;
  // Its ".removing" marker stays: a retry or restore finishes what is left.
  spdlog::warn("removal of {}: {}: {}", id, what, step.message());
  return false;
}

}  // namespace berth::daemon
