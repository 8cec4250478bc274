#include "pkg/registry/blob_writer.h"

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

Status SinkBlobWriter::Rewind() {
  if (bytes_ == 0) return OkStatus();
  return Unavailable("blob " + blob_.digest + ": transfer broke after " + std::to_string(bytes_) +
                     " bytes had reached the caller; not retried");
}

}  // namespace berth::registry
