#include "pkg/registry/blob_writer.h"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

namespace berth::registry {

BlobWriter::BlobWriter(const Descriptor& blob)
    : blob_(blob), hasher_(std::make_unique<Sha256Hasher>()) {}

void BlobWriter::ResetHash() {
  hasher_ = std::make_unique<Sha256Hasher>();
  bytes_ = 0;
  verified_ = false;
}

Status BlobWriter::Write(std::string_view data) {
  if (bytes_ + data.size() > static_cast<uint64_t>(blob_.size)) {
    return Internal("blob " + blob_.digest + ": registry sent more than the expected " +
                    std::to_string(blob_.size) + " bytes");
  }
  hasher_->Update(data);
  bytes_ += data.size();
  return Store(data);
}

Status BlobWriter::Verify() {
  if (verified_) return OkStatus();
  if (bytes_ != static_cast<uint64_t>(blob_.size)) {
    return Internal("blob " + blob_.digest + ": size mismatch: got " + std::to_string(bytes_) +
                    " bytes, the manifest says " + std::to_string(blob_.size));
  }
  std::string got = hasher_->Finish();
  hasher_ = std::make_unique<Sha256Hasher>();  // Finish consumed it
  if (got != blob_.digest) {
    return Internal("blob " + blob_.digest + ": digest mismatch: content hashes to " + got);
  }
  verified_ = true;
  return OkStatus();
}

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

Status SinkBlobWriter::Rewind() {
  if (bytes_ == 0) return OkStatus();
  return Unavailable("blob " + blob_.digest + ": transfer broke after " + std::to_string(bytes_) +
                     " bytes had reached the caller; not retried");
}

}  // namespace berth::registry
