// ArchiveLibrary: libarchive, opened at the first layer unpack instead of at
// start-up: libarchive.so.13 pulls in libxml2 and ICU among others, which a
// daemon that never unpacks a layer would carry in its RSS for nothing.
#pragma once

#include <archive.h>
#include <archive_entry.h>

#include "pkg/base/status.h"

namespace berth::dynlib {

// The libarchive functions berth calls; a member is named after its function
// without the "archive_" prefix.
#define BERTH_ARCHIVE_FUNCTIONS(X) \
  X(read_new)                      \
  X(read_free)                     \
  X(read_support_filter_gzip)      \
  X(read_support_filter_zstd)      \
  X(read_support_format_raw)       \
  X(read_support_format_tar)       \
  X(read_open)                     \
  X(read_open_filename)            \
  X(read_next_header)              \
  X(read_data)                     \
  X(read_data_block)               \
  X(error_string)                  \
  X(entry_pathname)                \
  X(entry_pathname_utf8)           \
  X(entry_hardlink)                \
  X(entry_symlink)                 \
  X(entry_filetype)                \
  X(entry_perm)                    \
  X(entry_uid)                     \
  X(entry_gid)                     \
  X(entry_size)                    \
  X(entry_size_is_set)             \
  X(entry_rdevmajor)               \
  X(entry_rdevminor)               \
  X(entry_mtime)                   \
  X(entry_mtime_nsec)              \
  X(entry_atime)                   \
  X(entry_atime_nsec)              \
  X(entry_atime_is_set)            \
  X(entry_xattr_reset)             \
  X(entry_xattr_next)

struct ArchiveLibrary {
#define BERTH_ARCHIVE_MEMBER(name) decltype(&::archive_##name) name = nullptr;
  BERTH_ARCHIVE_FUNCTIONS(BERTH_ARCHIVE_MEMBER)
#undef BERTH_ARCHIVE_MEMBER
};

// The library LoadArchive opens, and where it comes from, on each system (on
// Windows the name a mingw-w64 build of libarchive gives its DLL).
#ifdef _WIN32
inline constexpr char kArchiveLibraryName[] = "libarchive-13.dll";
inline constexpr char kArchiveLibrarySource[] = "a mingw-w64 build of libarchive beside berthd.exe";
#else
inline constexpr char kArchiveLibraryName[] = "libarchive.so.13";
inline constexpr char kArchiveLibrarySource[] = "Debian package libarchive13";
#endif

// kArchiveLibraryName, opened by the first call (thread-safe); later calls return
// the same table. If it cannot be loaded, FailedPrecondition says which
// library, which package provides it and why; the next call retries.
Result<const ArchiveLibrary*> LoadArchive();

}  // namespace berth::dynlib
