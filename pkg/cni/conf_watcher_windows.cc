// ConfWatcher on Windows (conf_watcher.cc is the Linux one): a directory
// change notification (FindFirstChangeNotificationW) on the conf dir, or on
// its nearest existing ancestor until it appears, and an event for Stop().
// As on Linux, what changed does not matter: the watch is re-armed first and
// the callback rescans after, so a change made in between is not lost.
#include <windows.h>

#include <spdlog/spdlog.h>

#include "pkg/base/win32_error.h"
#include "pkg/cni/conf_watcher.h"
#include "pkg/fs/windows/scoped_handle.h"

namespace berth::cni {
namespace {

// Files created, removed, renamed, written or re-permissioned in the directory.
constexpr DWORD kDirFilter = FILE_NOTIFY_CHANGE_FILE_NAME | FILE_NOTIFY_CHANGE_DIR_NAME |
                             FILE_NOTIFY_CHANGE_LAST_WRITE | FILE_NOTIFY_CHANGE_SIZE |
                             FILE_NOTIFY_CHANGE_ATTRIBUTES | FILE_NOTIFY_CHANGE_SECURITY;
// While waiting for the directory (or one of its parents) to be created.
constexpr DWORD kAncestorFilter = FILE_NOTIFY_CHANGE_DIR_NAME;

// The path without its last component; itself for a root ("C:/", "/").
std::wstring Parent(const std::wstring& path) {
  const size_t slash = path.find_last_of(L"/\\");
  if (slash == std::wstring::npos) return L".";
  if (slash == 0 || (slash == 2 && path[1] == L':')) return path.substr(0, slash + 1);
  return path.substr(0, slash);
}

bool IsDir(const std::wstring& path) {
  const DWORD attrs = GetFileAttributesW(path.c_str());
  return attrs != INVALID_FILE_ATTRIBUTES && (attrs & FILE_ATTRIBUTE_DIRECTORY) != 0;
}

// A change notification handle is INVALID_HANDLE_VALUE on failure, as
// ScopedHandle's empty value.
using ChangeHandle = win::ScopedHandle;

}  // namespace

struct ConfWatcher::Native {
  std::wstring dir;  // conf_dir_ in UTF-16
  // The armed notification (FindCloseChangeNotification is CloseHandle's
  // equivalent for it) and what it watches.
  HANDLE change = INVALID_HANDLE_VALUE;
  std::wstring target;
  win::ScopedHandle stop;  // manual-reset event set by Stop()

  ~Native() { CloseChange(); }
  void CloseChange() {
    if (change != INVALID_HANDLE_VALUE) FindCloseChangeNotification(change);
    change = INVALID_HANDLE_VALUE;
  }
};

ConfWatcher::ConfWatcher(std::string conf_dir, std::function<void()> on_change)
    : conf_dir_([&] {
        while (conf_dir.size() > 1 && (conf_dir.back() == '/' || conf_dir.back() == '\\')) {
          conf_dir.pop_back();
        }
        return conf_dir;
      }()),
      on_change_(std::move(on_change)),
      native_(std::make_unique<Native>()) {}

ConfWatcher::~ConfWatcher() {
  Stop();
}

Status ConfWatcher::Start() {
  if (thread_.joinable()) return FailedPrecondition("CNI conf watcher already started");
  BERTH_ASSIGN_OR_RETURN(native_->dir, win::Utf8ToWide(conf_dir_));
  HANDLE stop = CreateEventW(nullptr, TRUE, FALSE, nullptr);
  if (stop == nullptr) return win::Win32Error("CNI conf watcher: CreateEvent", GetLastError());
  native_->stop.reset(stop);
  Rearm();
  thread_ = std::thread([this] { Run(); });
  return OkStatus();
}

void ConfWatcher::Stop() {
  if (!thread_.joinable()) return;
  if (!SetEvent(native_->stop.get())) {
    spdlog::error("CNI conf watcher: cannot signal stop: {}", win::Win32ErrorText(GetLastError()));
  }
  thread_.join();
}

namespace {

// conf_dir, or its nearest existing ancestor.
std::wstring WatchTarget(const std::wstring& dir) {
  std::wstring target = dir;
  while (!IsDir(target)) {
    std::wstring parent = Parent(target);
    if (parent == target) break;
    target = parent;
  }
  return target;
}

}  // namespace

void ConfWatcher::Rearm() {
  Native& n = *native_;
  std::wstring target = WatchTarget(n.dir);
  // The same directory still there: ask for its next change.
  if (n.change != INVALID_HANDLE_VALUE && target == n.target &&
      FindNextChangeNotification(n.change)) {
    return;
  }
  // A directory created between the look and the arming would go unseen
  // (its parent's notification was armed after it): look again once armed,
  // until the target holds still.
  for (;;) {
    n.CloseChange();
    n.target = target;
    n.change = FindFirstChangeNotificationW(target.c_str(), FALSE,
                                            target == n.dir ? kDirFilter : kAncestorFilter);
    if (n.change == INVALID_HANDLE_VALUE) {
      // Gone between the look and the watch: only Stop() wakes the thread
      // now; log so a stuck watcher is visible (as on Linux).
      spdlog::warn("CNI conf watcher: cannot watch {}: {}", conf_dir_,
                   win::Win32ErrorText(GetLastError()));
      return;
    }
    std::wstring now = WatchTarget(n.dir);
    if (now == target) return;
    target = std::move(now);
  }
}

void ConfWatcher::Run() {
  on_change_();
  while (true) {
    Native& n = *native_;
    HANDLE handles[2] = {n.stop.get(), n.change};
    const DWORD count = n.change == INVALID_HANDLE_VALUE ? 1 : 2;
    const DWORD rc = WaitForMultipleObjects(count, handles, FALSE, INFINITE);
    if (rc == WAIT_OBJECT_0) return;  // Stop()
    if (rc != WAIT_OBJECT_0 + 1) {
      spdlog::error("CNI conf watcher: wait failed: {}; stopping",
                    win::Win32ErrorText(GetLastError()));
      return;
    }
    Rearm();
    on_change_();
  }
}

}  // namespace berth::cni
