// Where a downloading blob goes, verified on the way: every byte is hashed and
// counted, more bytes than the descriptor's size abort the transfer at once, and
// Verify() checks size and digest at the end.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "pkg/base/digest.h"
#include "pkg/base/status.h"
#include "pkg/fs/scoped_fd.h"
#include "pkg/registry/manifest.h"

namespace berth::registry {

class BlobWriter {
 public:
  explicit BlobWriter(const Descriptor& blob);
  virtual ~BlobWriter() = default;

  // Hashes, counts and stores `data`.
  Status Write(std::string_view data);
  // Starts over (for a retry). Fails when the data cannot be taken back.
  virtual Status Rewind() = 0;
  // OK when exactly `size` bytes with the expected digest were written.
  Status Verify();
  uint64_t bytes() const { return bytes_; }

 protected:
  virtual Status Store(std::string_view data) = 0;
  void ResetHash();

  const Descriptor blob_;
  uint64_t bytes_ = 0;
  bool verified_ = false;

 private:
  std::unique_ptr<Sha256Hasher> hasher_;
};

// Writes to "<dest>.tmp-XXXXXX" beside `dest`; Commit() fsyncs and renames it into
// place. Destroyed uncommitted, it removes the temporary file.
class FileBlobWriter : public BlobWriter {
 public:
  static Result<std::unique_ptr<FileBlobWriter>> Create(const std::string& dest,
                                                        const Descriptor& blob);
  ~FileBlobWriter() override;

  Status Rewind() override;
  // Verifies, fsyncs, renames to `dest`.
  Status Commit();

 private:
  FileBlobWriter(const Descriptor& blob, std::string dest, std::string tmp, ScopedFd fd)
      : BlobWriter(blob), dest_(std::move(dest)), tmp_(std::move(tmp)), fd_(std::move(fd)) {}
  Status Store(std::string_view data) override;

  std::string dest_;
  std::string tmp_;  // empty once committed
  ScopedFd fd_;
};

// Passes data to a caller's sink; can rewind only while nothing was passed on.
class SinkBlobWriter : public BlobWriter {
 public:
  SinkBlobWriter(std::function<Status(std::string_view)> sink, const Descriptor& blob)
      : BlobWriter(blob), sink_(std::move(sink)) {}
  Status Rewind() override;

 private:
  Status Store(std::string_view data) override { return sink_(data); }
  std::function<Status(std::string_view)> sink_;
};

}  // namespace berth::registry
