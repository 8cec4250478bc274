// Exit files: conmon writes a container's exit code as decimal text to
// <exit-dir>/<cid> (write to a temporary name, then rename) once the container
// has exited. These helpers read them (exit_file.cc) and watch the directory
// (exit_watch.cc with inotify on Linux, exit_watch_windows.cc with
// ReadDirectoryChangesW on Windows).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "pkg/base/status.h"

namespace berth::oci {

struct ExitInfo {
  std::string id;
  int exit_code = -1;
  // When conmon wrote the file (its mtime): the container's finish time.
  std::chrono::system_clock::time_point finished;
};

// Whether `name` can be an exit file: a container ID. conmon's temporary
// files carry a ".XXXXXX" suffix, and container IDs have no dot.
bool IsExitFileName(std::string_view name);

// NotFound when the file does not exist (the container has not exited, or was
// never started); Internal when it holds no number.
Result<ExitInfo> ReadExitFile(const std::string& exit_dir, const std::string& id);

// Waits until <exit_dir>/<id> exists (a directory watch, no polling loop) and
// reads it.
// DeadlineExceeded after `timeout`.
Result<ExitInfo> WaitExitFile(const std::string& exit_dir, const std::string& id,
                              std::chrono::milliseconds timeout);

namespace internal {
// WaitExitFile's loop, the same on every system: read the file; while it is
// missing or incomplete, wait for the directory to change (the system's
// `wait_for_change`, for at most `left`, set up before the first read so
// that nothing written in between is missed), until `timeout`.
using WaitForChange = std::function<Status(std::chrono::milliseconds left)>;
Result<ExitInfo> WaitExitFileWith(const std::string& exit_dir, const std::string& id,
                                  std::chrono::milliseconds timeout,
                                  const WaitForChange& wait_for_change);
}  // namespace internal

// Watches an exit directory on its own thread and reports every exit file
// that appears. Files already present when Start runs are reported first
// (so exits that happened while the daemon was down are not missed).
// The callback runs on the watcher thread; it must not block for long and
// must not call Stop.
class ExitWatcher {
 public:
  using Callback = std::function<void(const ExitInfo&)>;

  ExitWatcher(std::string exit_dir, Callback callback);
  ExitWatcher(const ExitWatcher&) = delete;
  ExitWatcher& operator=(const ExitWatcher&) = delete;
  ~ExitWatcher();  // stops and joins

  // Creates the directory watch and starts the thread.
  Status Start();
  // Idempotent; returns after the thread has ended.
  void Stop();

 private:
  void Run();

  // The system's watch of exit_dir_ and what wakes the thread to stop; each
  // exit_watch*.cc defines it and its deleter (so that the constructor and
  // destructor, in exit_file.cc, need not see it). Set before the thread
  // starts.
  struct Watch;
  struct WatchDeleter {
    void operator()(Watch* watch) const;
  };

  std::string exit_dir_;
  Callback callback_;
  std::unique_ptr<Watch, WatchDeleter> watch_;
  std::thread thread_;
};

}  // namespace berth::oci
