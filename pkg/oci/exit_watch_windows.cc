// Windows build of exit_file.h's watchers (exit_watch.cc is the Linux one):
// a change notification on the exit directory for WaitExitFile, and
// ReadDirectoryChangesW, which names the files that appeared, for
// ExitWatcher, with an event to stop it.
#include <windows.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "pkg/base/win32_error.h"
#include "pkg/fs/dir.h"
#include "pkg/oci/exit_file.h"

namespace berth::oci {
namespace {

// A new name (created, or renamed into place as conmon does) or a write: what
// may complete an exit file.
constexpr DWORD kExitFileChanges = FILE_NOTIFY_CHANGE_FILE_NAME | FILE_NOTIFY_CHANGE_LAST_WRITE;

struct ChangeNotificationCloser {
  void operator()(HANDLE h) const { ::FindCloseChangeNotification(h); }
};
struct HandleCloser {
  void operator()(HANDLE h) const { ::CloseHandle(h); }
};
using OwnedHandle = std::unique_ptr<void, HandleCloser>;

// Reads the exit file if it is a container's and reports it.
void ReportIfExitFile(const std::string& exit_dir, const std::string& name,
                      const ExitWatcher::Callback& callback) {
  if (!IsExitFileName(name)) return;
  Result<ExitInfo> info = ReadExitFile(exit_dir, name);
  if (info.ok()) callback(*info);
}

}  // namespace

struct ExitWatcher::Watch {
  OwnedHandle dir;      // the exit directory, opened for overlapped listing
  OwnedHandle io_done;  // signalled when a ReadDirectoryChangesW completes
  OwnedHandle stop;     // manual-reset: set to end the thread
  OVERLAPPED io{};
  // ReadDirectoryChangesW's records are DWORD-aligned.
  std::vector<DWORD> buf = std::vector<DWORD>(16 * 1024 / sizeof(DWORD));
};

Result<ExitInfo> WaitExitFile(const std::string& exit_dir, const std::string& id,
                              std::chrono::milliseconds timeout) {
  BERTH_ASSIGN_OR_RETURN(std::wstring wide, win::Utf8ToWide(exit_dir));
  HANDLE h = ::FindFirstChangeNotificationW(wide.c_str(), FALSE, kExitFileChanges);
  if (h == INVALID_HANDLE_VALUE) {
    return win::Win32Error("watch exit dir " + exit_dir, ::GetLastError());
  }
  std::unique_ptr<void, ChangeNotificationCloser> notification(h);
  // Watch first, then look: a file written in between is seen either way.
  return internal::WaitExitFileWith(
      exit_dir, id, timeout, [&](std::chrono::milliseconds left) -> Status {
        const DWORD rc = ::WaitForSingleObject(h, static_cast<DWORD>(left.count()));
        if (rc == WAIT_FAILED) {
          return win::Win32Error("wait on exit dir " + exit_dir, ::GetLastError());
        }
        if (rc == WAIT_OBJECT_0 && !::FindNextChangeNotification(h)) {
          return win::Win32Error("watch exit dir " + exit_dir, ::GetLastError());
        }
        return OkStatus();
      });
}

void ExitWatcher::WatchDeleter::operator()(Watch* watch) const {
  delete watch;
}

Status ExitWatcher::Start() {
  if (thread_.joinable()) return FailedPrecondition("exit watcher already started");
  BERTH_ASSIGN_OR_RETURN(std::wstring wide, win::Utf8ToWide(exit_dir_));
  auto watch = std::make_unique<Watch>();
  HANDLE dir = ::CreateFileW(
      wide.c_str(), FILE_LIST_DIRECTORY, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
      nullptr, OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OVERLAPPED, nullptr);
  if (dir == INVALID_HANDLE_VALUE) {
    return win::Win32Error("watch exit dir " + exit_dir_, ::GetLastError());
  }
  watch->dir.reset(dir);
  watch->io_done.reset(::CreateEventW(nullptr, TRUE, FALSE, nullptr));
  watch->stop.reset(::CreateEventW(nullptr, TRUE, FALSE, nullptr));
  if (!watch->io_done || !watch->stop) return win::Win32Error("CreateEvent", ::GetLastError());
  watch->io.hEvent = watch->io_done.get();
  watch_.reset(watch.release());
  thread_ = std::thread([this] { Run(); });
  return OkStatus();
}

void ExitWatcher::Stop() {
  if (thread_.joinable()) {
    ::SetEvent(watch_->stop.get());
    thread_.join();
  }
  watch_.reset();
}

void ExitWatcher::Run() {
  Watch& w = *watch_;
  auto listen = [&w] {
    ::ResetEvent(w.io_done.get());
    return ::ReadDirectoryChangesW(w.dir.get(), w.buf.data(),
                                   static_cast<DWORD>(w.buf.size() * sizeof(DWORD)), FALSE,
                                   kExitFileChanges, nullptr, &w.io, nullptr) != 0;
  };
  // The directory records changes only from the first listen on: listen,
  // then report what is already there (a file may be reported twice, which
  // callers treat as idempotent).
  if (!listen()) return;
  for (const std::string& name : ListDirOrEmpty(exit_dir_)) {
    ReportIfExitFile(exit_dir_, name, callback_);
  }
  for (;;) {
    const HANDLE events[2] = {w.io_done.get(), w.stop.get()};
    const DWORD rc = ::WaitForMultipleObjects(2, events, FALSE, INFINITE);
    DWORD bytes = 0;
    if (rc != WAIT_OBJECT_0) {
      // Stopped (or the wait failed): the pending listen must end before its
      // buffer goes.
      ::CancelIoEx(w.dir.get(), &w.io);
      ::GetOverlappedResult(w.dir.get(), &w.io, &bytes, TRUE);
      return;
    }
    if (!::GetOverlappedResult(w.dir.get(), &w.io, &bytes, FALSE)) return;
    std::vector<std::string> names;
    const auto* base = reinterpret_cast<const char*>(w.buf.data());
    for (DWORD offset = 0; bytes > 0;) {
      const auto* record = reinterpret_cast<const FILE_NOTIFY_INFORMATION*>(base + offset);
      const bool appeared = record->Action == FILE_ACTION_ADDED ||
                            record->Action == FILE_ACTION_RENAMED_NEW_NAME ||
                            record->Action == FILE_ACTION_MODIFIED;
      if (appeared) {
        Result<std::string> name = win::WideToUtf8(
            std::wstring_view(record->FileName, record->FileNameLength / sizeof(WCHAR)));
        if (name.ok()) names.push_back(std::move(*name));
      }
      if (record->NextEntryOffset == 0) break;
      offset += record->NextEntryOffset;
    }
    // Zero bytes: more changed than the buffer held, so look at everything.
    if (bytes == 0) names = ListDirOrEmpty(exit_dir_);
    // Listen again before reading, so that nothing written meanwhile is missed.
    if (!listen()) return;
    for (const std::string& name : names) ReportIfExitFile(exit_dir_, name, callback_);
  }
}

}  // namespace berth::oci
