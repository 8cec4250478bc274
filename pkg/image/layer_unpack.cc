#include "pkg/image/layer_unpack.h"

#include <fcntl.h>

#include <cerrno>
#include <memory>
#include <vector>

#include "pkg/base/digest.h"
#include "pkg/dynlib/archive_library.h"
#include "pkg/fs/scoped_fd.h"
#include "pkg/image/entry_writer.h"
#include "spdlog/spdlog.h"

namespace berth::image {
namespace {

using dynlib::ArchiveLibrary;

constexpr size_t kBlockSize = 1 << 16;

struct ArchiveFree {
  const ArchiveLibrary* lib;
  void operator()(archive* a) const { lib->read_free(a); }
};
using ArchivePtr = std::unique_ptr<archive, ArchiveFree>;

// The decompressed byte stream of the blob. The tar reader pulls from it
// through ReadDecompressed, and every byte passes through the hash on the way,
// so the diff ID covers exactly what the tar reader saw plus the trailing
// padding drained afterwards.
struct Decompressed {
  const ArchiveLibrary* lib = nullptr;
  archive* raw = nullptr;
  const UnpackOptions* options = nullptr;
  Sha256Hasher hash;
  std::vector<char> buf = std::vector<char>(kBlockSize);
  std::string error;
  Status stop;  // why the stream was cut short on purpose (bound, cancel)
  uint64_t total = 0;
  bool eof = false;
};

la_ssize_t ReadDecompressed(archive*, void* ctx, const void** out) {
  auto* s = static_cast<Decompressed*>(ctx);
  *out = s->buf.data();
  if (s->eof) return 0;
  la_ssize_t n = s->lib->read_data(s->raw, s->buf.data(), s->buf.size());
  if (n < 0) {
    const char* msg = s->lib->error_string(s->raw);
    s->error = msg ? msg : "decompression failed";
    return ARCHIVE_FATAL;
  }
  if (n == 0) s->eof = true;
  s->total += static_cast<uint64_t>(n);
  const UnpackOptions& o = *s->options;
  // Counted before anything is written, so no more than the bound plus one
  // block ever reaches the disk.
  if (o.max_decompressed_bytes > 0 && s->total > o.max_decompressed_bytes) {
    s->stop = ResourceExhausted("unpacks to more than " + std::to_string(o.max_decompressed_bytes) +
                                " bytes (" + o.limit_name + "); refused as a decompression bomb");
  } else if (Status c = o.cancel.Check("unpack"); !c.ok()) {
    s->stop = c;
  }
  if (!s->stop.ok()) {
    s->error = s->stop.message();
    return ARCHIVE_FATAL;
  }
  s->hash.Update(std::string_view(s->buf.data(), static_cast<size_t>(n)));
  return n;
}

// libarchive may fail without a message (a gzip stream corrupt from its
// first block does): a null message must not reach std::string.
std::string LibarchiveError(const ArchiveLibrary& lib, archive* a) {
  const char* msg = lib.error_string(a);
  return msg ? msg : "unknown error";
}

std::string ArchiveError(archive* a, const Decompressed& src) {
  if (!src.error.empty()) return src.error;
  return LibarchiveError(*src.lib, a);
}

}  // namespace

Result<UnpackResult> UnpackLayer(const std::string& blob_path, const std::string& dest_dir,
                                 const UnpackOptions& options) {
  ScopedFd root(::open(dest_dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!root.valid()) return ErrnoError("open layer directory " + dest_dir, errno);
  BERTH_ASSIGN_OR_RETURN(const ArchiveLibrary* loaded, dynlib::LoadArchive());
  const ArchiveLibrary& lib = *loaded;

  // 1. The outer reader only decompresses: gzip or zstd detected from the
  //    magic bytes, anything else passed through ("raw" format, one entry).
  ArchivePtr raw(lib.read_new(), ArchiveFree{&lib});
  if (!raw) return Internal("archive_read_new failed");
  lib.read_support_filter_gzip(raw.get());
  lib.read_support_filter_zstd(raw.get());
  lib.read_support_format_raw(raw.get());
  if (lib.read_open_filename(raw.get(), blob_path.c_str(), kBlockSize) != ARCHIVE_OK) {
    return InvalidArgument("layer blob " + blob_path + ": " + LibarchiveError(lib, raw.get()));
  }
  archive_entry* raw_entry = nullptr;
  if (lib.read_next_header(raw.get(), &raw_entry) != ARCHIVE_OK) {
    return InvalidArgument("layer blob " + blob_path + ": " + LibarchiveError(lib, raw.get()));
  }

  // 2. The inner reader parses tar (ustar, pax, GNU) from the decompressed stream.
  Decompressed src;
  src.lib = &lib;
  src.raw = raw.get();
  src.options = &options;
  ArchivePtr tar(lib.read_new(), ArchiveFree{&lib});
  if (!tar) return Internal("archive_read_new failed");
  lib.read_support_format_tar(tar.get());
  if (lib.read_open(tar.get(), &src, nullptr, ReadDecompressed, nullptr) != ARCHIVE_OK) {
    if (!src.stop.ok()) return src.stop;
    return InvalidArgument("layer blob " + blob_path +
                           " is not a tar stream: " + ArchiveError(tar.get(), src));
  }

  // 3. Entries, one by one.
  EntryWriter writer(lib, root.get(), options.rootless);
  UnpackResult result;
  for (;;) {
    archive_entry* e = nullptr;
    int r = lib.read_next_header(tar.get(), &e);
    if (r == ARCHIVE_EOF) break;
    if (!src.stop.ok()) return src.stop;
    if (r < ARCHIVE_WARN) {
      return InvalidArgument("layer blob " + blob_path + ": " + ArchiveError(tar.get(), src));
    }
    if (r == ARCHIVE_WARN) {
      spdlog::warn("layer blob {}: {}", blob_path, ArchiveError(tar.get(), src));
    }
    Status written = writer.Write(tar.get(), e);
    // An entry's data is read (and so bounded and cancelled) inside Write.
    if (!src.stop.ok()) return src.stop;
    BERTH_RETURN_IF_ERROR(written);
    ++result.entries;
  }

  // 4. Whatever follows the end-of-archive marker is part of the diff ID too.
  while (!src.eof) {
    const void* unused = nullptr;
    if (ReadDecompressed(nullptr, &src, &unused) < 0) {
      if (!src.stop.ok()) return src.stop;
      return InvalidArgument("layer blob " + blob_path + ": " + src.error);
    }
  }
  result.diff_id = src.hash.Finish();
  if (!options.expected_diff_id.empty() && result.diff_id != options.expected_diff_id) {
    return InvalidArgument("layer blob " + blob_path + " unpacks to diff ID " + result.diff_id +
                           " but the image config says " + options.expected_diff_id);
  }

  // 5. Directory modes and times last.
  BERTH_RETURN_IF_ERROR(writer.Finish());
  result.unpacked_bytes = writer.unpacked_bytes();
  result.decompressed_bytes = src.total;
  return result;
}

}  // namespace berth::image
