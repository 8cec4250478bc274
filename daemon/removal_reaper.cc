#include "daemon/removal_reaper.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace berth::daemon {

RemovalReaper::RemovalReaper() : worker_([this] { Run(); }) {}

RemovalReaper::~RemovalReaper() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  changed_.notify_all();
  worker_.join();
}

void RemovalReaper::Enqueue(std::string id, std::vector<std::string> holds,
                            std::function<void()> finish) {
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
    lock.unlock();
    job.finish();
    lock.lock();
    active_.erase(job.id);
    changed_.notify_all();
  }
}

bool ReapStepOk(const Status& step, const std::string& what, const std::string& id) {
  if (step.ok()) return true;
  // Its ".removing" marker stays: restore finishes what is left.
  spdlog::warn("removal of {}: {}: {}; the next start finishes it", id, what, step.message());
  return false;
}

}  // namespace berth::daemon
