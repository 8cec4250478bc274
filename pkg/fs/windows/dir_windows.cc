// Windows build of dir.h's FsyncDir and RemoveAll (dir_linux.cc is the Linux
// one). RemoveAll walks with FindFirstFileEx and never enters a reparse point
// (a symlink, a junction, a mounted volume): it removes the link itself,
// which is what the Linux build's "never follow a symlink, never enter a
// mount" comes to on NTFS.
#include <windows.h>

#include <memory>
#include <string>
#include <vector>

#include "pkg/base/win32_error.h"
#include "pkg/fs/dir.h"
#include "pkg/fs/windows/scoped_handle.h"

namespace berth {
namespace {

bool IsNotFound(DWORD err) {
  return err == ERROR_FILE_NOT_FOUND || err == ERROR_PATH_NOT_FOUND;
}

struct FindCloser {
  void operator()(HANDLE h) const { ::FindClose(h); }
};

// Removes one entry that is not a directory to descend into: a file, or a
// reparse point (a directory link is removed as a directory, its target left
// alone). Gone already is success.
Status RemoveEntry(const std::wstring& wide, DWORD attributes, const std::string& display,
                   const RemoveTreeOptions& options) {
  if (options.make_writable && (attributes & FILE_ATTRIBUTE_READONLY)) {
    ::SetFileAttributesW(wide.c_str(), attributes & ~FILE_ATTRIBUTE_READONLY);
  }
  const bool ok = (attributes & FILE_ATTRIBUTE_DIRECTORY) ? ::RemoveDirectoryW(wide.c_str())
                                                          : ::DeleteFileW(wide.c_str());
  if (ok || IsNotFound(::GetLastError())) return OkStatus();
  return win::Win32Error("remove " + display, ::GetLastError());
}

struct Dir {
  std::wstring wide;
  std::string display;
  DWORD attributes;
};

// Removes what `dir` holds that is not a directory to descend into, and
// appends the directories to `stack`.
Status EmptyOneLevel(const Dir& dir, const RemoveTreeOptions& options, std::vector<Dir>& stack) {
  WIN32_FIND_DATAW entry;
  HANDLE find = ::FindFirstFileExW((dir.wide + L"\\*").c_str(), FindExInfoBasic, &entry,
                                   FindExSearchNameMatch, nullptr, 0);
  if (find == INVALID_HANDLE_VALUE) {
    if (IsNotFound(::GetLastError())) return OkStatus();
    return win::Win32Error("remove " + dir.display + ": list", ::GetLastError());
  }
  std::unique_ptr<void, FindCloser> closer(find);
  do {
    const std::wstring name = entry.cFileName;
    if (name == L"." || name == L"..") continue;
    Result<std::string> utf8 = win::WideToUtf8(name);
    const DWORD attributes = entry.dwFileAttributes;
    Dir child{dir.wide + L"\\" + name, dir.display + "/" + (utf8.ok() ? *utf8 : "?"), attributes};
    if ((attributes & FILE_ATTRIBUTE_DIRECTORY) && !(attributes & FILE_ATTRIBUTE_REPARSE_POINT)) {
      stack.push_back(std::move(child));
    } else {
      BERTH_RETURN_IF_ERROR(RemoveEntry(child.wide, attributes, child.display, options));
    }
  } while (::FindNextFileW(find, &entry));
  if (::GetLastError() != ERROR_NO_MORE_FILES) {
    return win::Win32Error("remove " + dir.display + ": list", ::GetLastError());
  }
  return OkStatus();
}

}  // namespace

Status FsyncDir(std::string_view dir_view) {
  const std::string dir(dir_view);
  BERTH_ASSIGN_OR_RETURN(std::wstring wide, win::Utf8ToWide(dir));
  // A directory opens only with FILE_FLAG_BACKUP_SEMANTICS; flushing it needs write access.
  win::ScopedHandle handle(::CreateFileW(wide.c_str(), GENERIC_READ | GENERIC_WRITE,
                                         FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                                         nullptr, OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS,
                                         nullptr));
  if (!handle) return win::Win32Error("open directory " + dir + " for fsync", ::GetLastError());
  if (!::FlushFileBuffers(handle.get())) {
    return win::Win32Error("fsync directory " + dir, ::GetLastError());
  }
  return OkStatus();
}

Status RemoveAll(std::string_view path_view, const RemoveTreeOptions& options) {
  std::string path(path_view);
  while (path.size() > 1 && (path.back() == '/' || path.back() == '\\')) path.pop_back();
  if (path.empty()) return InvalidArgument("remove: empty path");
  // "/", "\" and "C:" name a drive's root.
  if (path == "/" || path == "\\" || (path.size() == 2 && path[1] == ':')) {
    return InvalidArgument("remove: refusing to remove " + path);
  }
  const size_t sep = path.find_last_of("/\\");
  const std::string base = sep == std::string::npos ? path : path.substr(sep + 1);
  if (base == "." || base == "..") {
    return InvalidArgument("remove " + path + ": must not end in . or ..");
  }
  BERTH_ASSIGN_OR_RETURN(std::wstring wide, win::Utf8ToWide(path));

  const DWORD attributes = ::GetFileAttributesW(wide.c_str());
  if (attributes == INVALID_FILE_ATTRIBUTES) {
    if (IsNotFound(::GetLastError())) return OkStatus();
    return win::Win32Error("remove " + path, ::GetLastError());
  }
  if (!(attributes & FILE_ATTRIBUTE_DIRECTORY) || (attributes & FILE_ATTRIBUTE_REPARSE_POINT)) {
    return RemoveEntry(wide, attributes, path, options);
  }
  // Depth first without recursion: a directory is listed again once the
  // directories it held are gone, and removed when it holds none.
  std::vector<Dir> stack{Dir{wide, path, attributes}};
  while (!stack.empty()) {
    const size_t depth = stack.size();
    const Dir dir = stack.back();
    BERTH_RETURN_IF_ERROR(EmptyOneLevel(dir, options, stack));
    if (stack.size() > depth) continue;
    BERTH_RETURN_IF_ERROR(RemoveEntry(dir.wide, dir.attributes, dir.display, options));
    stack.pop_back();
  }
  return OkStatus();
}

}  // namespace berth
