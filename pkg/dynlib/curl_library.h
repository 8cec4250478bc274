// CurlLibrary: libcurl, opened at the first registry request instead of at
// start-up: libcurl.so.4 and the chain it pulls in (gnutls through librtmp,
// krb5, ldap, libssh2, nghttp2, idn2, ...) would otherwise cost a daemon
// that never pulls a few MB of RSS.
#pragma once

#include <curl/curl.h>

#include "pkg/base/status.h"

namespace berth::dynlib {

// The libcurl functions berth calls. A member is named after its function
// without the "curl_" prefix: curl.h makes curl_easy_setopt and
// curl_easy_getinfo macros, which would also expand a member of that name.
#define BERTH_CURL_FUNCTIONS(X) \
  X(global_init)                \
  X(easy_init)                  \
  X(easy_cleanup)               \
  X(easy_setopt)                \
  X(easy_getinfo)               \
  X(easy_perform)               \
  X(easy_strerror)              \
  X(slist_append)               \
  X(slist_free_all)

struct CurlLibrary {
#define BERTH_CURL_MEMBER(name) decltype(&::curl_##name) name = nullptr;
  BERTH_CURL_FUNCTIONS(BERTH_CURL_MEMBER)
#undef BERTH_CURL_MEMBER
};

// The library LoadCurl opens, and where it comes from, on each system (on
// Windows the name a mingw-w64 build of libcurl gives its DLL).
#ifdef _WIN32
inline constexpr char kCurlLibraryName[] = "libcurl-4.dll";
inline constexpr char kCurlLibrarySource[] = "a mingw-w64 build of libcurl beside berthd.exe";
#else
inline constexpr char kCurlLibraryName[] = "libcurl.so.4";
inline constexpr char kCurlLibrarySource[] = "Debian package libcurl4";
#endif

// kCurlLibraryName, opened and globally initialised by the first call (thread-safe);
// later calls return the same table. If it cannot be loaded, FailedPrecondition
// says which library, which package provides it and why; the next call retries.
Result<const CurlLibrary*> LoadCurl();

}  // namespace berth::dynlib
