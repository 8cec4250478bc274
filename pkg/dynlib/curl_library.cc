#include "pkg/dynlib/curl_library.h"

#include "pkg/dynlib/lazy_table.h"
#include "pkg/dynlib/shared_library.h"

namespace berth::dynlib {
namespace {

Result<CurlLibrary> OpenCurl() {
  BERTH_ASSIGN_OR_RETURN(SharedLibrary lib, SharedLibrary::Open(kCurlLibraryName));
  CurlLibrary curl;
#define BERTH_CURL_RESOLVE(name) BERTH_RETURN_IF_ERROR(lib.Resolve("curl_" #name, &curl.name));
  BERTH_CURL_FUNCTIONS(BERTH_CURL_RESOLVE)
#undef BERTH_CURL_RESOLVE
  // Once per process, before any handle exists (curl_global_init is not thread-safe;
  // LazyTable holds its lock here).
  if (CURLcode code = curl.global_init(CURL_GLOBAL_DEFAULT); code != CURLE_OK) {
    return FailedPrecondition("curl_global_init failed: " + std::string(curl.easy_strerror(code)));
  }
  return curl;
}

}  // namespace

Result<const CurlLibrary*> LoadCurl() {
  static LazyTable<CurlLibrary> table;
  Result<const CurlLibrary*> curl = table.Get(OpenCurl);
  if (!curl.ok())
    return curl.status().WithContext(std::string("registry requests need libcurl (") +
                                     kCurlLibrarySource + ")");
  return curl;
}

}  // namespace berth::dynlib
