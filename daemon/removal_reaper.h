// RemovalReaper: finishes removals after their answer. RemoveContainer and
// RemovePodSandbox answer once the object's ".removing" marker is durable and
// it is gone from memory; the slow rest (the runtime's delete, unmounts,
// recursive directory removal) runs here, on one thread, in the order the
// removals were answered (a pod's containers before the pod). A crash with
// work queued loses nothing: restore finds the marker and finishes the
// removal itself (restore.cc).
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
  RemovalReaper();
  // Finishes every queued removal, then stops the thread.
  ~RemovalReaper();
  RemovalReaper(const RemovalReaper&) = delete;
  RemovalReaper& operator=(const RemovalReaper&) = delete;

  // Queues the rest of the removal of object `id`. `holds` names what the
  // object still holds until `finish` has run (the image whose layers a
  // container's rootfs mounts).
  void Enqueue(std::string id, std::vector<std::string> holds, std::function<void()> finish);

  // True while the removal of `id` is queued or running.
  bool Pending(const std::string& id) const;

  // Waits until no queued removal holds `what` (an image or pod ID); false
  // on timeout.
  bool WaitReleased(const std::string& what, std::chrono::milliseconds timeout) const;

  // Waits until everything queued so far is finished (shutdown, tests).
  void Drain() const;

 private:
  struct Job {
    std::string id;
    std::function<void()> finish;
  };
  void Run();

  mutable std::mutex mu_;
  mutable std::condition_variable changed_;  // a job queued, a job finished, stop_
  std::deque<Job> queue_;                    // guarded by mu_
  // Queued or running: id -> what it holds. Guarded by mu_.
  std::map<std::string, std::vector<std::string>> active_;
  bool stop_ = false;  // guarded by mu_
  std::thread worker_;
};

// For the steps of a queued removal: true when `step` succeeded; otherwise
// logs that the next start finishes the removal of `id`, and false.
bool ReapStepOk(const Status& step, const std::string& what, const std::string& id);

}  // namespace berth::daemon
