// RemovalReaper: finishes removals after their answer. RemoveContainer and
// RemovePodSandbox answer once the object's ".removing" marker is durable and
// it is gone from memory; the slow rest (the runtime's delete, unmounts,
// recursive directory removal) runs here, on one thread, in the order the
// removals were answered (a pod's containers before the pod). A removal whose
// step fails is retried a few times in place (the failures seen are short:
// a gVisor sandbox shutting down under a delete, a mount still busy), then
// left: its marker stays, and the next start finishes it. A crash with work
// queued loses nothing: restore finds the marker and finishes the removal
// itself (restore.cc).
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "pkg/base/status.h"

namespace berth::daemon {

class RemovalReaper {
 public:
  // The waits before each retry of a failed removal; their number is the
  // number of retries.
  static const std::vector<std::chrono::milliseconds>& DefaultRetryDelays();

  explicit RemovalReaper(
      std::vector<std::chrono::milliseconds> retry_delays = DefaultRetryDelays());
  // Finishes every queued removal, then stops the thread.
  ~RemovalReaper();
  RemovalReaper(const RemovalReaper&) = delete;
  RemovalReaper& operator=(const RemovalReaper&) = delete;

  // Queues the rest of the removal of object `id`; `finish` returns true once
  // it is done, false when a step failed (then it runs again after the next
  // retry delay, unless stopping). `holds` names what the object still holds
  // until then (the image whose layers a container's rootfs mounts).
  void Enqueue(std::string id, std::vector<std::string> holds, std::function<bool()> finish);

  // True while the removal of `id` is queued, running or waiting to retry.
  bool Pending(const std::string& id) const;

  // Waits until no queued removal holds `what` (an image or pod ID); false
  // on timeout.
  bool WaitReleased(const std::string& what, std::chrono::milliseconds timeout) const;

  // Waits until everything queued so far is finished (shutdown, tests).
  void Drain() const;

 private:
  struct Job {
    std::string id;
    std::function<bool()> finish;
  };
  void Run();
  // Runs `job` until it is done or its retries are spent. Called with mu_
  // held by `lock`; releases it while the job runs.
  void RunWithRetries(Job& job, std::unique_lock<std::mutex>& lock);

  const std::vector<std::chrono::milliseconds> retry_delays_;
  mutable std::mutex mu_;
  mutable std::condition_variable changed_;  // a job queued, a job finished, stop_
  std::deque<Job> queue_;                    // guarded by mu_
  // Queued or running: id -> what it holds. Guarded by mu_.
  std::map<std::string, std::vector<std::string>> active_;
  bool stop_ = false;  // guarded by mu_
  std::thread worker_;
};

// For the steps of a queued removal: true when `step` succeeded; otherwise
// logs the failed step of the removal of `id`, and false.
bool ReapStepOk(const Status& step, const std::string& what, const std::string& id);

}  // namespace berth::daemon
