#include "pkg/dynlib/shared_library.h"

#include <dlfcn.h>

namespace berth::dynlib {

Result<SharedLibrary> SharedLibrary::Open(const std::string& soname) {
  void* handle = ::dlopen(soname.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = ::dlerror();
    return FailedPrecondition("shared library " + soname +
                              " cannot be loaded: " + (why ? why : "unknown reason"));
  }
  return SharedLibrary(soname, handle);
}

Result<void*> SharedLibrary::Lookup(const char* symbol) const {
  ::dlerror();  // clear a stale error: a symbol's address is never null here, but be exact
  void* address = ::dlsym(handle_, symbol);
  if (address == nullptr) {
    const char* why = ::dlerror();
    return FailedPrecondition("shared library " + soname_ + " lacks function " + symbol + ": " +
                              (why ? why : "null address"));
  }
  return address;
}

}  // namespace berth::dynlib
