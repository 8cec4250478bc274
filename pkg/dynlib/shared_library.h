// SharedLibrary: a shared library opened at run time, when first needed, so a
// daemon that never needs it does not map it (nor the libraries it pulls in).
#pragma once

#include <string>

#include "pkg/base/status.h"

namespace berth::dynlib {

class SharedLibrary {
 public:
  // Opens `soname` (symbols bound now, kept local to it). The library stays
  // loaded for the life of the process: libraries such as libcurl keep global
  // state from their first use, so they are never closed.
  // FailedPrecondition naming the library and the loader's reason if absent or broken.
  static Result<SharedLibrary> Open(const std::string& soname);

  // Points `*fn` at `symbol`, typed by the caller (decltype of the header's
  // declaration). FailedPrecondition naming library and symbol if it is missing.
  template <typename Fn>
  Status Resolve(const char* symbol, Fn** fn) const {
    BERTH_ASSIGN_OR_RETURN(void* address, Lookup(symbol));
    *fn = reinterpret_cast<Fn*>(address);
    return OkStatus();
  }

  const std::string& soname() const { return soname_; }

 private:
  SharedLibrary(std::string soname, void* handle) : soname_(std::move(soname)), handle_(handle) {}
  Result<void*> Lookup(const char* symbol) const;

  std::string soname_;
  void* handle_;
};

}  // namespace berth::dynlib
