// The POSIX file calls of pkg/fs's portable files whose Windows (mingw-w64
// CRT) form differs: the one place that tells them apart.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <string_view>

#ifdef _WIN32
#include <direct.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include "pkg/base/random_bytes.h"
#else
#include <stdlib.h>
#endif

namespace berth {

// mkdir(2). The Windows CRT's takes no mode: a new directory inherits its
// parent's ACL there.
inline int MakeDir(const char* path, mode_t mode) {
#ifdef _WIN32
  (void)mode;
  return ::_mkdir(path);
#else
  return ::mkdir(path, mode);
#endif
}

// Whether `prefix` of a path names a drive ("C:"), which MkdirAll must not
// try to create. Linux paths have no such prefix ("/" is skipped anyway).
inline bool IsDrivePrefix(std::string_view prefix) {
#ifdef _WIN32
  return prefix.size() == 2 && prefix[1] == ':';
#else
  (void)prefix;
  return false;
#endif
}

// mkdtemp(3): `templ` ends in "XXXXXX", which become random characters of a
// directory that did not exist (mode 0700 on Linux); null with errno set on
// failure. Windows has no mkdtemp: lowercase letters and digits (its names
// ignore case) from the system CSPRNG, drawn again while the name is taken.
inline char* MakeTempDir(char* templ) {
#ifdef _WIN32
  const size_t len = std::strlen(templ);
  if (len < 6 || std::string_view(templ + len - 6) != "XXXXXX") {
    errno = EINVAL;
    return nullptr;
  }
  static constexpr char kChars[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  for (int attempt = 0; attempt < 100; ++attempt) {
    std::uint8_t random[6];
    if (!FillRandomBytes(random).ok()) {
      errno = EIO;
      return nullptr;
    }
    for (size_t i = 0; i < 6; ++i) templ[len - 6 + i] = kChars[random[i] % 36];
    if (::_mkdir(templ) == 0) return templ;
    if (errno != EEXIST) return nullptr;
  }
  return nullptr;  // errno is EEXIST
#else
  return ::mkdtemp(templ);
#endif
}

}  // namespace berth
