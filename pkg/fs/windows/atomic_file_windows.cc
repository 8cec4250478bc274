// Windows build of atomic_file.h (atomic_file.cc is the Linux one). The same
// steps in Win32 terms: a temp file created exclusively (CREATE_NEW) in the
// target's directory, the content, FlushFileBuffers, then MoveFileEx with
// MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH, which returns once the
// rename is on disk (what the directory fsync does on Linux). `mode` does not
// apply: a new file inherits its directory's ACL.
#include <windows.h>

#include <algorithm>
#include <cerrno>

#include "pkg/base/win32_error.h"
#include "pkg/fs/atomic_file.h"
#include "pkg/fs/atomic_write_name.h"
#include "pkg/fs/windows/scoped_handle.h"

namespace berth {
namespace {

Result<std::wstring> WidePath(const std::string& path, const std::string& what) {
  Result<std::wstring> wide = win::Utf8ToWide(path);
  if (!wide.ok()) return wide.status().WithContext(what);
  return wide;
}

Status WriteAll(HANDLE file, std::string_view content, const std::string& what) {
  while (!content.empty()) {
    // WriteFile takes a DWORD length: at most 1 GiB at a time.
    const DWORD chunk = static_cast<DWORD>(std::min<size_t>(content.size(), 1u << 30));
    DWORD written = 0;
    if (!::WriteFile(file, content.data(), chunk, &written, nullptr)) {
      return win::Win32Error(what, ::GetLastError());
    }
    content.remove_prefix(written);
  }
  return OkStatus();
}

// A file that must not exist yet, for writing only and shared with nobody.
HANDLE CreateNew(const std::wstring& path) {
  return ::CreateFileW(path.c_str(), GENERIC_WRITE, 0, nullptr, CREATE_NEW, FILE_ATTRIBUTE_NORMAL,
                       nullptr);
}

}  // namespace

Status WriteFileAtomic(std::string_view path_view, std::string_view content, mode_t /*mode*/) {
  const std::string path(path_view);
  const std::string what = "atomic write of " + path;
  BERTH_ASSIGN_OR_RETURN(AtomicWritePath where, SplitAtomicWritePath(path));
  BERTH_ASSIGN_OR_RETURN(std::wstring target, WidePath(path, what));

  // 1. A fresh temp file; CREATE_NEW so we never write into someone else's file.
  std::wstring tmp;
  win::ScopedHandle file;
  DWORD err = ERROR_FILE_EXISTS;
  for (int attempt = 0; attempt < 8 && !file; ++attempt) {
    BERTH_ASSIGN_OR_RETURN(tmp, WidePath(where.dir + "/" + AtomicWriteTempName(where.base), what));
    file.reset(CreateNew(tmp));
    if (!file && (err = ::GetLastError()) != ERROR_FILE_EXISTS) break;
  }
  if (!file) return win::Win32Error(what + ": create temp file in " + where.dir, err);
  // From here on, any failure removes the temp file.
  auto fail = [&](Status s) {
    file.reset();
    ::DeleteFileW(tmp.c_str());
    return s;
  };

  // 2. Content, then flush so the data is on disk before the rename makes it visible.
  if (Status s = WriteAll(file.get(), content, what + ": write"); !s.ok()) return fail(s);
  if (!::FlushFileBuffers(file.get())) {
    return fail(win::Win32Error(what + ": flush", ::GetLastError()));
  }
  if (!file.Close()) return fail(win::Win32Error(what + ": close", ::GetLastError()));

  // 3. The atomic switch, persisted before it returns.
  if (!::MoveFileExW(tmp.c_str(), target.c_str(),
                     MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH)) {
    return fail(win::Win32Error(what + ": rename temp file over it", ::GetLastError()));
  }
  return OkStatus();
}

Status WriteFileTransient(std::string_view path_view, std::string_view content, mode_t /*mode*/) {
  const std::string path(path_view);
  BERTH_ASSIGN_OR_RETURN(std::wstring wide, WidePath(path, "write " + path));
  win::ScopedHandle file(CreateNew(wide));
  if (!file) return win::Win32Error("write " + path + ": create", ::GetLastError());
  Status s = WriteAll(file.get(), content, "write " + path);
  if (s.ok() && !file.Close()) s = win::Win32Error("write " + path + ": close", ::GetLastError());
  if (!s.ok()) {
    file.reset();
    ::DeleteFileW(wide.c_str());
  }
  return s;
}

Status CreateEmptyFile(std::string_view path_view, mode_t /*mode*/) {
  const std::string path(path_view);
  BERTH_ASSIGN_OR_RETURN(std::wstring wide, WidePath(path, "create " + path));
  // FILE_FLAG_OPEN_REPARSE_POINT opens a symlink itself, to be refused below;
  // emptying waits until the file is known not to be one.
  win::ScopedHandle file(::CreateFileW(wide.c_str(), GENERIC_WRITE, 0, nullptr, OPEN_ALWAYS,
                                       FILE_FLAG_OPEN_REPARSE_POINT, nullptr));
  if (!file) return win::Win32Error("create " + path, ::GetLastError());
  BY_HANDLE_FILE_INFORMATION info;
  if (!::GetFileInformationByHandle(file.get(), &info)) {
    return win::Win32Error("create " + path + ": file information", ::GetLastError());
  }
  if (info.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) {
    return ErrnoError("create " + path, ELOOP);  // the Linux build's O_NOFOLLOW refusal
  }
  if (!::SetEndOfFile(file.get())) {
    return win::Win32Error("create " + path + ": truncate", ::GetLastError());
  }
  return OkStatus();
}

Result<std::string> ReadFile(std::string_view path_view, size_t max_bytes,
                             FinalSymlink final_symlink) {
  const std::string path(path_view);
  BERTH_ASSIGN_OR_RETURN(std::wstring wide, WidePath(path, "read " + path));
  // FILE_FLAG_OPEN_REPARSE_POINT opens a symlink itself, to be refused below,
  // rather than what it points to.
  const DWORD flags = final_symlink == FinalSymlink::kRefuse ? FILE_FLAG_OPEN_REPARSE_POINT : 0;
  win::ScopedHandle file(::CreateFileW(wide.c_str(), GENERIC_READ,
                                       FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                                       nullptr, OPEN_EXISTING, flags, nullptr));
  if (!file) {
    const DWORD err = ::GetLastError();
    if (err == ERROR_FILE_NOT_FOUND || err == ERROR_PATH_NOT_FOUND) {
      return NotFound("read " + path + ": no such file");
    }
    return win::Win32Error("read " + path + ": open", err);
  }
  if (final_symlink == FinalSymlink::kRefuse) {
    BY_HANDLE_FILE_INFORMATION info;
    if (!::GetFileInformationByHandle(file.get(), &info)) {
      return win::Win32Error("read " + path + ": file information", ::GetLastError());
    }
    // The Linux build's message for the same refusal (open with O_NOFOLLOW).
    if (info.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) {
      return ErrnoError("read " + path + ": open", ELOOP);
    }
  }
  std::string out;
  char buf[64 * 1024];
  for (;;) {
    DWORD n = 0;
    if (!::ReadFile(file.get(), buf, sizeof buf, &n, nullptr)) {
      return win::Win32Error("read " + path, ::GetLastError());
    }
    if (n == 0) break;
    if (n > max_bytes - out.size()) {
      return ResourceExhausted("read " + path + ": larger than the limit of " +
                               std::to_string(max_bytes) + " bytes");
    }
    out.append(buf, n);
  }
  return out;
}

}  // namespace berth
