// Windows build of shared_library.h: LoadLibrary and GetProcAddress
// (shared_library.cc is the Linux one, dlopen).
#include <windows.h>

#include "pkg/base/win32_error.h"
#include "pkg/dynlib/shared_library.h"

namespace berth::dynlib {

Result<SharedLibrary> SharedLibrary::Open(const std::string& soname) {
  // Search only the system's and the application's directories, never the
  // current one, where anyone who can write there could plant a DLL.
  HMODULE module = ::LoadLibraryExA(soname.c_str(), nullptr, LOAD_LIBRARY_SEARCH_DEFAULT_DIRS);
  if (module == nullptr) {
    return FailedPrecondition("shared library " + soname +
                              " cannot be loaded: " + win::Win32ErrorText(::GetLastError()));
  }
  return SharedLibrary(soname, reinterpret_cast<void*>(module));
}

Result<void*> SharedLibrary::Lookup(const char* symbol) const {
  FARPROC address = ::GetProcAddress(static_cast<HMODULE>(handle_), symbol);
  if (address == nullptr) {
    return FailedPrecondition("shared library " + soname_ + " lacks function " + symbol + ": " +
                              win::Win32ErrorText(::GetLastError()));
  }
  return reinterpret_cast<void*>(address);
}

}  // namespace berth::dynlib
