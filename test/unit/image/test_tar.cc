#include "test/unit/image/test_tar.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "pkg/base/digest.h"
#include "pkg/fs/dir.h"

namespace berth::image::testing {
namespace {

void Check(int r, archive* a, const char* what) {
  if (r < ARCHIVE_WARN) {
    std::fprintf(stderr, "test tar: %s: %s\n", what, archive_error_string(a));
    std::abort();
  }
}

la_ssize_t AppendToString(archive*, void* ctx, const void* buf, size_t n) {
  static_cast<std::string*>(ctx)->append(static_cast<const char*>(buf), n);
  return static_cast<la_ssize_t>(n);
}

std::string BuildTar(const std::vector<TarEntry>& entries) {
  std::string out;
  archive* a = archive_write_new();
  Check(archive_write_set_format_pax_restricted(a), a, "format");
  archive_write_set_bytes_in_last_block(a, 1);
  Check(archive_write_open(a, &out, nullptr, AppendToString, nullptr), a, "open");
  for (const auto& t : entries) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, t.name.c_str());
    archive_entry_set_uid(e, t.uid);
    archive_entry_set_gid(e, t.gid);
    archive_entry_set_mtime(e, t.mtime, 0);
    archive_entry_set_perm(e, t.mode);
    for (const auto& [k, v] : t.xattrs)
      archive_entry_xattr_add_entry(e, k.c_str(), v.data(), v.size());
    switch (t.type) {
      case TarEntry::kFile:
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_size(e, static_cast<la_int64_t>(t.data.size()));
        break;
      case TarEntry::kDir:
        archive_entry_set_filetype(e, AE_IFDIR);
        break;
      case TarEntry::kSymlink:
        archive_entry_set_filetype(e, AE_IFLNK);
        archive_entry_set_symlink(e, t.link.c_str());
        break;
      case TarEntry::kHardlink:
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_hardlink(e, t.link.c_str());
        archive_entry_set_size(e, 0);
        break;
      case TarEntry::kChar:
      case TarEntry::kBlock:
        archive_entry_set_filetype(e, t.type == TarEntry::kChar ? AE_IFCHR : AE_IFBLK);
        archive_entry_set_rdevmajor(e, t.dev_major);
        archive_entry_set_rdevminor(e, t.dev_minor);
        break;
      case TarEntry::kFifo:
        archive_entry_set_filetype(e, AE_IFIFO);
        break;
    }
    Check(archive_write_header(a, e), a, "header");
    if (t.type == TarEntry::kFile && !t.data.empty()) {
      if (archive_write_data(a, t.data.data(), t.data.size()) < 0) Check(ARCHIVE_FATAL, a, "data");
    }
    archive_entry_free(e);
  }
  Check(archive_write_close(a), a, "close");
  archive_write_free(a);
  return out;
}

std::string Compress(const std::string& data, Compression c) {
  std::string out;
  archive* a = archive_write_new();
  Check(archive_write_set_format_raw(a), a, "raw");
  Check(
      c == Compression::kGzip ? archive_write_add_filter_gzip(a) : archive_write_add_filter_zstd(a),
      a, "filter");
  archive_write_set_bytes_in_last_block(a, 1);
  Check(archive_write_open(a, &out, nullptr, AppendToString, nullptr), a, "open");
  archive_entry* e = archive_entry_new();
  archive_entry_set_pathname(e, "data");
  archive_entry_set_filetype(e, AE_IFREG);
  archive_entry_set_size(e, static_cast<la_int64_t>(data.size()));
  Check(archive_write_header(a, e), a, "header");
  if (archive_write_data(a, data.data(), data.size()) < 0) Check(ARCHIVE_FATAL, a, "data");
  archive_entry_free(e);
  Check(archive_write_close(a), a, "close");
  archive_write_free(a);
  return out;
}

}  // namespace

std::string WriteLayer(const std::string& path, const std::vector<TarEntry>& entries,
                       Compression compression) {
  const std::string tar = BuildTar(entries);
  WriteAll(path, compression == Compression::kNone ? tar : Compress(tar, compression));
  return Sha256Digest(tar);
}

TempDir::TempDir() {
  char tmpl[] = "/tmp/berth-image-test-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) std::abort();
  path_ = tmpl;
}

TempDir::~TempDir() {
  (void)RemoveAll(path_, kUnpackedTreeRemoval);
}

bool PathExists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteAll(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  if (!out) std::abort();
}

size_t CountEntries(const std::string& dir) {
  return ListDirOrEmpty(dir).size();
}

}  // namespace berth::image::testing
