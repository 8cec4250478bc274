// Test helpers: build layer tarballs with libarchive's writer, temp dirs.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace berth::image::testing {

struct TarEntry {
  enum Type { kFile, kDir, kSymlink, kHardlink, kChar, kBlock, kFifo };
  std::string name;
  Type type = kFile;
  std::string data;  // file content
  std::string link;  // symlink or hard link target
  mode_t mode = 0644;
  uid_t uid = 0;
  gid_t gid = 0;
  int64_t mtime = 1600000000;
  unsigned dev_major = 0, dev_minor = 0;
  std::vector<std::pair<std::string, std::string>> xattrs;
};

inline TarEntry Entry(std::string name, TarEntry::Type type, mode_t mode, std::string data = "",
                      std::string link = "") {
  TarEntry e;
  e.name = std::move(name);
  e.type = type;
  e.mode = mode;
  e.data = std::move(data);
  e.link = std::move(link);
  return e;
}
inline TarEntry File(std::string name, std::string data, mode_t mode = 0644) {
  return Entry(std::move(name), TarEntry::kFile, mode, std::move(data));
}
inline TarEntry Dir(std::string name, mode_t mode = 0755) {
  return Entry(std::move(name), TarEntry::kDir, mode);
}
inline TarEntry Symlink(std::string name, std::string target) {
  return Entry(std::move(name), TarEntry::kSymlink, 0777, "", std::move(target));
}
inline TarEntry Hardlink(std::string name, std::string target) {
  return Entry(std::move(name), TarEntry::kHardlink, 0644, "", std::move(target));
}

enum class Compression { kNone, kGzip, kZstd };

// Writes a pax tar of `entries` to `path`; returns its diff ID (sha256 of
// the uncompressed tar). Aborts the test binary on libarchive errors.
std::string WriteLayer(const std::string& path, const std::vector<TarEntry>& entries,
                       Compression compression = Compression::kNone);

// A fresh directory under /tmp, removed (recursively) on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& rel) const { return path_ + "/" + rel; }

 private:
  std::string path_;
};

bool PathExists(const std::string& path);  // lstat succeeds
std::string ReadAll(const std::string& path);
void WriteAll(const std::string& path, const std::string& content);
// Number of entries in a directory (0 when missing).
size_t CountEntries(const std::string& dir);

}  // namespace berth::image::testing
