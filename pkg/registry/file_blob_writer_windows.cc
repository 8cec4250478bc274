// FileBlobWriter on Windows (file_blob_writer.cc is the Linux one), on the C
// runtime's descriptors that ScopedFd holds: "<dest>.tmp-<random>" created
// exclusively and not inherited by child processes, _commit (FlushFileBuffers)
// before MoveFileEx replaces `dest`, which returns once the rename is on disk.
// Paths reach the UTF-16 calls, so any UTF-8 name works.
#include <windows.h>
// After windows.h.
#include <fcntl.h>
#include <io.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>

#include "pkg/base/random_bytes.h"
#include "pkg/base/win32_error.h"
#include "pkg/registry/blob_writer.h"

namespace berth::registry {
namespace {

// "<dest>.tmp-" and 12 random hex digits.
Result<std::string> TempNameFor(const std::string& dest) {
  std::uint8_t random[6];
  BERTH_RETURN_IF_ERROR(FillRandomBytes(random));
  static constexpr char kHex[] = "0123456789abcdef";
  std::string name = dest + ".tmp-";
  for (std::uint8_t b : random) {
    name.push_back(kHex[b >> 4]);
    name.push_back(kHex[b & 15]);
  }
  return name;
}

}  // namespace

Result<std::unique_ptr<FileBlobWriter>> FileBlobWriter::Create(const std::string& dest,
                                                               const Descriptor& blob) {
  const std::string what = "create temporary file for " + dest;
  // A taken name (another writer's, a crash's leftover) is drawn again.
  for (int attempt = 0; attempt < 8; ++attempt) {
    BERTH_ASSIGN_OR_RETURN(std::string tmp, TempNameFor(dest));
    Result<std::wstring> wide = win::Utf8ToWide(tmp);
    if (!wide.ok()) return wide.status().WithContext(what);
    // _O_NOINHERIT is Windows' close-on-exec.
    int fd = ::_wopen(wide->c_str(), _O_CREAT | _O_EXCL | _O_WRONLY | _O_BINARY | _O_NOINHERIT,
                      _S_IREAD | _S_IWRITE);
    if (fd >= 0) {
      return std::unique_ptr<FileBlobWriter>(new FileBlobWriter(blob, dest, tmp, ScopedFd(fd)));
    }
    if (errno != EEXIST) return ErrnoError(what, errno);
  }
  return ErrnoError(what, EEXIST);
}

FileBlobWriter::~FileBlobWriter() {
  if (tmp_.empty()) return;
  fd_.reset();  // Windows removes no file that is still open
  if (Result<std::wstring> wide = win::Utf8ToWide(tmp_); wide.ok()) ::_wunlink(wide->c_str());
}

Status FileBlobWriter::Store(std::string_view data) {
  while (!data.empty()) {
    // _write takes an unsigned int length: at most 1 GiB at a time.
    const unsigned chunk = static_cast<unsigned>(std::min<size_t>(data.size(), 1u << 30));
    int n = ::_write(fd_.get(), data.data(), chunk);
    if (n < 0) return ErrnoError("write " + tmp_, errno);
    data.remove_prefix(static_cast<size_t>(n));
  }
  return OkStatus();
}

Status FileBlobWriter::Rewind() {
  if (bytes_ == 0) return OkStatus();
  if (errno_t err = ::_chsize_s(fd_.get(), 0); err != 0) return ErrnoError("truncate " + tmp_, err);
  if (::_lseeki64(fd_.get(), 0, SEEK_SET) != 0) return ErrnoError("seek " + tmp_, errno);
  ResetHash();
  return OkStatus();
}

Status FileBlobWriter::Commit() {
  BERTH_RETURN_IF_ERROR(Verify());
  if (::_commit(fd_.get()) != 0) return ErrnoError("flush " + tmp_, errno);
  BERTH_RETURN_IF_ERROR(fd_.Close());  // MoveFileEx cannot move an open file
  Result<std::wstring> from = win::Utf8ToWide(tmp_);
  if (!from.ok()) return from.status().WithContext("rename " + tmp_);
  Result<std::wstring> to = win::Utf8ToWide(dest_);
  if (!to.ok()) return to.status().WithContext("rename " + tmp_ + " to " + dest_);
  if (!::MoveFileExW(from->c_str(), to->c_str(),
                     MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH)) {
    return win::Win32Error("rename " + tmp_ + " to " + dest_, ::GetLastError());
  }
  tmp_.clear();
  return OkStatus();
}

}  // namespace berth::registry
