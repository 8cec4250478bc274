// Watches the CNI conf dir on a thread of its own (inotify on Linux, a
// directory change notification on Windows: conf_watcher_windows.cc) and calls
// back when anything in it may have changed, so NetworkReady follows the directory
// without a restart. A conf dir that does not exist yet is handled by
// watching its nearest existing ancestor until it appears.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "pkg/base/status.h"

namespace berth::cni {

class ConfWatcher {
 public:
  // `on_change` runs on the watcher thread: once right after Start() (to
  // catch changes made before the watch was armed) and after every batch of
  // events. It must not block for long.
  ConfWatcher(std::string conf_dir, std::function<void()> on_change);
  ~ConfWatcher();  // stops and joins the thread
  ConfWatcher(const ConfWatcher&) = delete;
  ConfWatcher& operator=(const ConfWatcher&) = delete;

  // Arms the watch synchronously (so a file written after Start returns is
  // seen) and starts the thread.
  Status Start();
  void Stop();

 private:
  void Run();
  void Rearm();  // watch conf_dir, or its nearest existing ancestor

  // The system's watch and stop signal; only touched by Start() before the
  // thread, then by the thread (and Stop()'s signal).
  struct Native;

  const std::string conf_dir_;
  const std::function<void()> on_change_;
  std::unique_ptr<Native> native_;
  std::thread thread_;
};

}  // namespace berth::cni
