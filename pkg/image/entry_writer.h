// EntryWriter: writes tar entries, one at a time, beneath a layer directory.
// Used by UnpackLayer (layer_unpack.h states the promises); split out so the
// stream/digest plumbing and the per-entry filesystem work stay separate.
#pragma once

#include <sys/stat.h>
#include <time.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "pkg/base/status.h"
#include "pkg/dynlib/archive_library.h"

namespace berth::image {

class EntryWriter {
 public:
  // `rootfd` is the layer directory; it and `lib` must outlive the writer.
  EntryWriter(const dynlib::ArchiveLibrary& lib, int rootfd, bool rootless)
      : lib_(lib), rootfd_(rootfd), rootless_(rootless) {}

  // Writes the entry `e` just read from `a` (its data is read from `a`).
  Status Write(archive* a, archive_entry* e);
  // Applies directory modes and mtimes, deepest first (creating children
  // changes a directory's mtime, and a read-only mode would block them).
  Status Finish();

  uint64_t unpacked_bytes() const { return unpacked_bytes_; }

 private:
  struct DeferredDir {
    std::vector<std::string> comps;
    mode_t mode;
    timespec times[2];
  };

  Status WriteDir(archive_entry* e, const std::vector<std::string>& comps, const char* name);
  Status WriteFile(archive* a, archive_entry* e, int parent, const std::string& base,
                   const char* name);
  Status WriteHardlink(archive_entry* e, int parent, const std::string& base, const char* name);
  Status WriteWhiteout(const std::vector<std::string>& comps, int parent, const char* name);
  Status WriteSpecial(archive_entry* e, int parent, const std::string& base, const char* name);
  // Makes room for a new entry `base`: an existing non-directory, or a
  // directory when the new entry is not one, is removed. Sets *keep when an
  // existing directory stays (new entry is a directory too).
  Status ClearTarget(int parent, const std::string& base, bool new_is_dir, bool* keep,
                     const char* name);
  Status Chown(int parent, const std::string& base, archive_entry* e, const char* name);
  // Xattrs on an open fd, or (fd < 0) on parent/base without following it.
  Status SetXattrs(int fd, int parent, const std::string& base, archive_entry* e, const char* name);
  void Defer(const std::vector<std::string>& comps, archive_entry* e);

  const dynlib::ArchiveLibrary& lib_;
  int rootfd_;
  bool rootless_;
  uint64_t unpacked_bytes_ = 0;
  std::vector<DeferredDir> dirs_;
  std::map<std::string, size_t> dir_index_;  // joined path → index in dirs_
};

// Access and modification times of `e` (access = modification when unset).
void EntryTimes(const dynlib::ArchiveLibrary& lib, archive_entry* e, timespec out[2]);

}  // namespace berth::image
