// FileBlobWriter on Linux (file_blob_writer_windows.cc is the Windows one): a
// mkostemp file beside the destination, fsync and rename(2) at commit.
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "pkg/registry/blob_writer.h"

namespace berth::registry {

Result<std::unique_ptr<FileBlobWriter>> FileBlobWriter::Create(const std::string& dest,
                                                               const Descriptor& blob) {
  std::string tmpl = dest + ".tmp-XXXXXX";
  int fd = mkostemp(tmpl.data(), O_CLOEXEC);
  if (fd < 0) return ErrnoError("create temporary file for " + dest, errno);
  return std::unique_ptr<FileBlobWriter>(new FileBlobWriter(blob, dest, tmpl, ScopedFd(fd)));
}

FileBlobWriter::~FileBlobWriter() {
  if (!tmp_.empty()) unlink(tmp_.c_str());
}

Status FileBlobWriter::Store(std::string_view data) {
  while (!data.empty()) {
    ssize_t n = write(fd_.get(), data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("write " + tmp_, errno);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return OkStatus();
}

Status FileBlobWriter::Rewind() {
  if (bytes_ == 0) return OkStatus();
  if (ftruncate(fd_.get(), 0) != 0) return ErrnoError("truncate " + tmp_, errno);
  if (lseek(fd_.get(), 0, SEEK_SET) != 0) return ErrnoError("seek " + tmp_, errno);
  ResetHash();
  return OkStatus();
}

Status FileBlobWriter::Commit() {
  BERTH_RETURN_IF_ERROR(Verify());
  if (fsync(fd_.get()) != 0) return ErrnoError("fsync " + tmp_, errno);
  BERTH_RETURN_IF_ERROR(fd_.Close());
  if (rename(tmp_.c_str(), dest_.c_str()) != 0) {
    return ErrnoError("rename " + tmp_ + " to " + dest_, errno);
  }
  tmp_.clear();
  return OkStatus();
}

}  // namespace berth::registry
