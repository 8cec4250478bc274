// Windows build of mount_id.h (mount_id.cc is the Linux one). A file's
// "mount" on Windows is its volume: GetFileInformationByHandle's volume serial
// number stands where Linux has the mount ID, and a directory is the root of
// a mount when it is a drive's root or a volume is mounted on it (its volume
// differs from its parent's).
#include <io.h>
#include <windows.h>

#include <string>

#include "pkg/base/win32_error.h"
#include "pkg/fs/mount_id.h"
#include "pkg/fs/windows/scoped_handle.h"

namespace berth {
namespace {

bool IsNotFound(DWORD err) {
  return err == ERROR_FILE_NOT_FOUND || err == ERROR_PATH_NOT_FOUND;
}

Result<MountId> VolumeOf(HANDLE handle, const std::string& what) {
  BY_HANDLE_FILE_INFORMATION info;
  if (!::GetFileInformationByHandle(handle, &info)) {
    return win::Win32Error("volume of " + what, ::GetLastError());
  }
  return MountId{false, info.dwVolumeSerialNumber};
}

// Opens `wide` itself, a reparse point included (never its target), for
// reading its attributes only; directories need backup semantics.
win::ScopedHandle OpenForAttributes(const std::wstring& wide) {
  return win::ScopedHandle(::CreateFileW(
      wide.c_str(), FILE_READ_ATTRIBUTES, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
      nullptr, OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OPEN_REPARSE_POINT, nullptr));
}

}  // namespace

Result<MountId> MountIdOf(int fd) {
  const intptr_t handle = ::_get_osfhandle(fd);
  if (handle == -1) return InvalidArgument("mount of fd " + std::to_string(fd) + ": not open");
  return VolumeOf(reinterpret_cast<HANDLE>(handle), "fd " + std::to_string(fd));
}

Result<bool> IsMountPointByMountId(const std::string& path) {
  BERTH_ASSIGN_OR_RETURN(std::wstring wide, win::Utf8ToWide(path));
  while (wide.size() > 1 && (wide.back() == L'\\' || wide.back() == L'/')) wide.pop_back();
  const DWORD attributes = ::GetFileAttributesW(wide.c_str());
  if (attributes == INVALID_FILE_ATTRIBUTES) {
    if (IsNotFound(::GetLastError())) return false;
    return win::Win32Error("mount point check of " + path, ::GetLastError());
  }
  // A drive's root ("C:" once trimmed) has no parent: it is its volume's root.
  const size_t sep = wide.find_last_of(L"\\/");
  if (sep == std::wstring::npos && wide.size() == 2 && wide[1] == L':') return true;
  win::ScopedHandle self = OpenForAttributes(wide);
  if (!self) return win::Win32Error("mount point check of " + path, ::GetLastError());
  // The parent by name, as on Linux: "<path>\.." would follow a link.
  std::wstring parent = sep == std::wstring::npos ? L"." : wide.substr(0, sep);
  if (parent.size() == 2 && parent[1] == L':') parent += L'\\';
  win::ScopedHandle up = OpenForAttributes(parent);
  if (!up)
    return win::Win32Error("mount point check of " + path + ": open parent", ::GetLastError());
  BERTH_ASSIGN_OR_RETURN(MountId self_volume, VolumeOf(self.get(), path));
  BERTH_ASSIGN_OR_RETURN(MountId parent_volume, VolumeOf(up.get(), path + " (parent)"));
  return self_volume != parent_volume;
}

}  // namespace berth
