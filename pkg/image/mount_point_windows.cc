// MountPointOf (image_fs_info.h) on Windows (mount_point.cc is the Linux
// one): the mount point of the volume holding the path, which
// GetVolumePathName finds by walking up the path, through folders a volume is
// mounted on, to a drive root.
#include <windows.h>

#include <string>
#include <vector>

#include "pkg/base/win32_error.h"
#include "pkg/image/image_fs_info.h"

namespace berth::image {

Result<std::string> MountPointOf(const std::string& path) {
  const std::string what = "find the volume of " + path;
  Result<std::wstring> wide = win::Utf8ToWide(path);
  if (!wide.ok()) return wide.status().WithContext(what);
  // GetVolumePathName answers for a path that does not exist too (it only
  // parses); Linux's realpath fails there, and so does this.
  if (::GetFileAttributesW(wide->c_str()) == INVALID_FILE_ATTRIBUTES) {
    return win::Win32Error(what, ::GetLastError());
  }
  // The mount point is never longer than the full path it is a prefix of.
  std::vector<wchar_t> volume(wide->size() + MAX_PATH + 1);
  if (!::GetVolumePathNameW(wide->c_str(), volume.data(), static_cast<DWORD>(volume.size()))) {
    return win::Win32Error(what, ::GetLastError());
  }
  Result<std::string> mount_point = win::WideToUtf8(volume.data());
  if (!mount_point.ok()) return mount_point.status().WithContext(what);
  return mount_point;
}

}  // namespace berth::image
