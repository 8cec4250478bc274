// Pinned namespaces on Windows (pinned_namespaces.cc is the Linux one).
// Namespaces and bind mounts are Linux-only: a Windows pod's network is an
// HNS namespace and its isolation HCS's, so nothing here ever pins one.
#include <windows.h>

#include "pkg/base/win32_error.h"
#include "pkg/ns/pinned_namespaces.h"

namespace berth::ns {

Result<PinnedPaths> PinNamespaces(const std::string& runroot, const std::string& pod_id,
                                  const PinRequest&) {
  return Unimplemented("pin namespaces of pod " + pod_id.substr(0, 128) + " under " + runroot +
                       ": Linux namespaces are Linux-only; on Windows a pod's network is an "
                       "HNS namespace and its isolation HCS's");
}

Status UnpinNamespace(const std::string& path) {
  if (path.empty()) return OkStatus();
  BERTH_ASSIGN_OR_RETURN(std::wstring wide, win::Utf8ToWide(path));
  // Never pinned here, so normally not there: that is the idempotent success
  // the Linux side gives for a pin that is gone.
  if (GetFileAttributesW(wide.c_str()) == INVALID_FILE_ATTRIBUTES) {
    const DWORD err = GetLastError();
    if (err == ERROR_FILE_NOT_FOUND || err == ERROR_PATH_NOT_FOUND) return OkStatus();
    return win::Win32Error("look at namespace pin " + path, err);
  }
  return Unimplemented("unpin namespace pin " + path +
                       ": it exists, but Linux namespaces are Linux-only and nothing on "
                       "Windows pins one");
}

}  // namespace berth::ns
