#include "pkg/image/entry_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>

#include "pkg/fs/remove_tree.h"
#include "pkg/fs/scoped_fd.h"
#include "pkg/image/safe_path.h"
#include "spdlog/spdlog.h"

namespace berth::image {
namespace {

constexpr std::string_view kWhiteoutPrefix = ".wh.";
constexpr std::string_view kOpaqueMarker = ".wh..wh..opq";
constexpr char kOpaqueXattr[] = "trusted.overlay.opaque";

std::string Q(const char* s) {
  return QuoteEntry(s);
}

std::string Join(const std::vector<std::string>& comps) {
  std::string out;
  for (const auto& c : comps) out += (out.empty() ? "" : "/") + c;
  return out;
}

// A path naming parent/base for the *at-less xattr calls; /proc/self/fd/N is the
// directory itself, so resolution starts inside the layer and only `base` is
// looked up (and, with the l* calls, not followed).
std::string ProcPath(int parent, const std::string& base) {
  return "/proc/self/fd/" + std::to_string(parent) + "/" + base;
}

Status Errno(const char* name, const std::string& what, int err) {
  return ErrnoError("layer entry " + Q(name) + ": " + what, err);
}

}  // namespace

void EntryTimes(const dynlib::ArchiveLibrary& lib, archive_entry* e, timespec out[2]) {
  out[1].tv_sec = lib.entry_mtime(e);
  out[1].tv_nsec = lib.entry_mtime_nsec(e);
  if (lib.entry_atime_is_set(e)) {
    out[0].tv_sec = lib.entry_atime(e);
    out[0].tv_nsec = lib.entry_atime_nsec(e);
  } else {
    out[0] = out[1];
  }
}

Status EntryWriter::Write(archive* a, archive_entry* e) {
  const char* name = lib_.entry_pathname(e);
  if (name == nullptr) name = lib_.entry_pathname_utf8(e);
  if (name == nullptr) return InvalidArgument("layer has an entry with an unreadable name");

  const bool is_dir = lib_.entry_hardlink(e) == nullptr && lib_.entry_filetype(e) == AE_IFDIR;
  BERTH_ASSIGN_OR_RETURN(auto comps, SplitEntryPath(name, /*allow_root=*/is_dir));
  if (is_dir) return WriteDir(e, comps, name);

  BERTH_ASSIGN_OR_RETURN(ScopedFd parent,
                         OpenDirBeneath(rootfd_, comps, comps.size() - 1, /*create=*/true, name));
  const std::string& base = comps.back();
  if (std::string_view(base).starts_with(kWhiteoutPrefix)) {
    return WriteWhiteout(comps, parent.get(), name);
  }
  if (lib_.entry_hardlink(e) != nullptr) return WriteHardlink(e, parent.get(), base, name);

  switch (lib_.entry_filetype(e)) {
    case AE_IFREG:
      return WriteFile(a, e, parent.get(), base, name);
    case AE_IFLNK: {
      const char* target = lib_.entry_symlink(e);
      if (target == nullptr) return InvalidArgument("layer symlink " + Q(name) + " has no target");
      bool keep = false;
      BERTH_RETURN_IF_ERROR(ClearTarget(parent.get(), base, false, &keep, name));
      // The target is stored as is: it is only ever followed inside the
      // container's root, never by the unpacker (every walk uses O_NOFOLLOW).
      if (::symlinkat(target, parent.get(), base.c_str()) != 0) {
        return Errno(name, "symlink", errno);
      }
      BERTH_RETURN_IF_ERROR(Chown(parent.get(), base, e, name));
      BERTH_RETURN_IF_ERROR(SetXattrs(-1, parent.get(), base, e, name));
      timespec t[2];
      EntryTimes(lib_, e, t);
      if (::utimensat(parent.get(), base.c_str(), t, AT_SYMLINK_NOFOLLOW) != 0) {
        return Errno(name, "set symlink times", errno);
      }
      return OkStatus();
    }
    case AE_IFCHR:
    case AE_IFBLK:
    case AE_IFIFO:
      return WriteSpecial(e, parent.get(), base, name);
    case AE_IFSOCK:
      spdlog::warn("layer entry {} is a socket; skipped", Q(name));
      return OkStatus();
    default:
      return InvalidArgument("layer entry " + Q(name) + " has an unknown file type");
  }
}

Status EntryWriter::WriteDir(archive_entry* e, const std::vector<std::string>& comps,
                             const char* name) {
  if (comps.empty()) {  // "." or "./": the layer root's own metadata
    BERTH_RETURN_IF_ERROR(Chown(rootfd_, ".", e, name));
    BERTH_RETURN_IF_ERROR(SetXattrs(rootfd_, -1, "", e, name));
    Defer(comps, e);
    return OkStatus();
  }
  const std::string& base = comps.back();
  if (std::string_view(base).starts_with(kWhiteoutPrefix)) {
    return InvalidArgument("layer entry " + Q(name) + " is a directory with a whiteout name");
  }
  BERTH_ASSIGN_OR_RETURN(ScopedFd parent,
                         OpenDirBeneath(rootfd_, comps, comps.size() - 1, true, name));
  bool keep = false;
  BERTH_RETURN_IF_ERROR(ClearTarget(parent.get(), base, true, &keep, name));
  // 0700 while unpacking: the final mode (maybe read-only) is applied in Finish().
  if (!keep && ::mkdirat(parent.get(), base.c_str(), 0700) != 0) {
    return Errno(name, "mkdir", errno);
  }
  ScopedFd dir(
      ::openat(parent.get(), base.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!dir.valid()) return Errno(name, "open directory", errno);
  BERTH_RETURN_IF_ERROR(Chown(parent.get(), base, e, name));
  BERTH_RETURN_IF_ERROR(SetXattrs(dir.get(), -1, base, e, name));
  Defer(comps, e);
  return OkStatus();
}

Status EntryWriter::WriteFile(archive* a, archive_entry* e, int parent, const std::string& base,
                              const char* name) {
  bool keep = false;
  BERTH_RETURN_IF_ERROR(ClearTarget(parent, base, false, &keep, name));
  ScopedFd fd(
      ::openat(parent, base.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd.valid()) return Errno(name, "create file", errno);
  for (;;) {
    const void* buf = nullptr;
    size_t size = 0;
    la_int64_t offset = 0;
    int r = lib_.read_data_block(a, &buf, &size, &offset);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN) {
      const char* msg = lib_.error_string(a);
      return InvalidArgument("layer entry " + Q(name) +
                             ": reading data: " + (msg ? msg : "unknown error"));
    }
    const char* p = static_cast<const char*>(buf);
    while (size > 0) {  // pwrite at the block's offset keeps sparse files sparse
      ssize_t n = ::pwrite(fd.get(), p, size, offset);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Errno(name, "write", errno);
      p += n;
      offset += n;
      size -= static_cast<size_t>(n);
    }
  }
  if (lib_.entry_size_is_set(e)) {
    if (::ftruncate(fd.get(), lib_.entry_size(e)) != 0) return Errno(name, "truncate", errno);
    unpacked_bytes_ += static_cast<uint64_t>(lib_.entry_size(e));
  }
  // Owner before mode (chown clears setuid/setgid) and before xattrs (it also
  // drops security.capability); times last, since everything else touches ctime only.
  if (!rootless_ && ::fchown(fd.get(), lib_.entry_uid(e), lib_.entry_gid(e)) != 0) {
    return Errno(name, "chown", errno);
  }
  if (::fchmod(fd.get(), lib_.entry_perm(e) & 07777) != 0) return Errno(name, "chmod", errno);
  BERTH_RETURN_IF_ERROR(SetXattrs(fd.get(), -1, base, e, name));
  timespec t[2];
  EntryTimes(lib_, e, t);
  if (::futimens(fd.get(), t) != 0) return Errno(name, "set times", errno);
  return OkStatus();
}

Status EntryWriter::WriteHardlink(archive_entry* e, int parent, const std::string& base,
                                  const char* name) {
  const char* target = lib_.entry_hardlink(e);
  auto tcomps = SplitEntryPath(target, false);
  if (!tcomps.ok()) {
    return InvalidArgument("layer hard link " + Q(name) + " -> " + Q(target) +
                           ": target is outside the layer (" + tcomps.status().message() + ")");
  }
  if (std::string_view(tcomps->back()).starts_with(kWhiteoutPrefix)) {
    return InvalidArgument("layer hard link " + Q(name) + " targets a whiteout " + Q(target));
  }
  BERTH_ASSIGN_OR_RETURN(ScopedFd tparent,
                         OpenDirBeneath(rootfd_, *tcomps, tcomps->size() - 1, false, name));
  struct stat st;
  if (::fstatat(tparent.get(), tcomps->back().c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    return InvalidArgument("layer hard link " + Q(name) + " -> " + Q(target) +
                           ": target is not an earlier entry of the layer");
  }
  if (S_ISDIR(st.st_mode)) {
    return InvalidArgument("layer hard link " + Q(name) + " targets a directory " + Q(target));
  }
  struct stat cur;
  if (::fstatat(parent, base.c_str(), &cur, AT_SYMLINK_NOFOLLOW) == 0 && cur.st_dev == st.st_dev &&
      cur.st_ino == st.st_ino) {
    return OkStatus();  // already that inode (a repeated entry, or a link to itself)
  }
  bool keep = false;
  BERTH_RETURN_IF_ERROR(ClearTarget(parent, base, false, &keep, name));
  if (::linkat(tparent.get(), tcomps->back().c_str(), parent, base.c_str(), 0) != 0) {
    return Errno(name, "link to " + Q(target), errno);
  }
  return OkStatus();
}

Status EntryWriter::WriteWhiteout(const std::vector<std::string>& comps, int parent,
                                  const char* name) {
  const std::string& base = comps.back();
  if (base == kOpaqueMarker) {
    if (::fsetxattr(parent, kOpaqueXattr, "y", 1, 0) != 0) {
      return Errno(name, std::string("set ") + kOpaqueXattr + " on its directory", errno);
    }
    return OkStatus();
  }
  const std::string hidden = base.substr(kWhiteoutPrefix.size());
  if (std::string_view(hidden).starts_with(kWhiteoutPrefix)) return OkStatus();  // aufs metadata
  if (hidden.empty() || hidden == "." || hidden == "..") {
    return InvalidArgument("layer whiteout " + Q(name) + " names no file");
  }
  bool keep = false;
  BERTH_RETURN_IF_ERROR(ClearTarget(parent, hidden, false, &keep, name));
  // A 0/0 character device is overlayfs's whiteout; the kernel lets anyone create it.
  if (::mknodat(parent, hidden.c_str(), S_IFCHR | 0, makedev(0, 0)) != 0) {
    return Errno(name, "create whiteout device", errno);
  }
  return OkStatus();
}

Status EntryWriter::WriteSpecial(archive_entry* e, int parent, const std::string& base,
                                 const char* name) {
  bool keep = false;
  BERTH_RETURN_IF_ERROR(ClearTarget(parent, base, false, &keep, name));
  const mode_t type = lib_.entry_filetype(e);
  const dev_t dev = makedev(lib_.entry_rdevmajor(e), lib_.entry_rdevminor(e));
  if (::mknodat(parent, base.c_str(), type | 0600, type == AE_IFIFO ? 0 : dev) != 0) {
    if (rootless_ && errno == EPERM) {
      spdlog::warn("layer entry {}: device node skipped (not root)", Q(name));
      return OkStatus();
    }
    return Errno(name, "mknod", errno);
  }
  BERTH_RETURN_IF_ERROR(Chown(parent, base, e, name));
  if (::fchmodat(parent, base.c_str(), lib_.entry_perm(e) & 07777, 0) != 0) {
    return Errno(name, "chmod", errno);
  }
  BERTH_RETURN_IF_ERROR(SetXattrs(-1, parent, base, e, name));
  timespec t[2];
  EntryTimes(lib_, e, t);
  if (::utimensat(parent, base.c_str(), t, AT_SYMLINK_NOFOLLOW) != 0) {
    return Errno(name, "set times", errno);
  }
  return OkStatus();
}

Status EntryWriter::ClearTarget(int parent, const std::string& base, bool new_is_dir, bool* keep,
                                const char* name) {
  *keep = false;
  struct stat st;
  if (::fstatat(parent, base.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return OkStatus();
    return Errno(name, "stat existing entry", errno);
  }
  if (new_is_dir && S_ISDIR(st.st_mode)) {
    *keep = true;
    return OkStatus();
  }
  return RemoveTreeAt(parent, base, "layer entry " + Q(name) + " (replacing)",
                      kUnpackedTreeRemoval);
}

Status EntryWriter::Chown(int parent, const std::string& base, archive_entry* e, const char* name) {
  if (rootless_) return OkStatus();
  if (::fchownat(parent, base.c_str(), lib_.entry_uid(e), lib_.entry_gid(e), AT_SYMLINK_NOFOLLOW) !=
      0) {
    return Errno(name, "chown", errno);
  }
  return OkStatus();
}

Status EntryWriter::SetXattrs(int fd, int parent, const std::string& base, archive_entry* e,
                              const char* name) {
  if (lib_.entry_xattr_reset(e) == 0) return OkStatus();
  const char* key = nullptr;
  const void* value = nullptr;
  size_t size = 0;
  while (lib_.entry_xattr_next(e, &key, &value, &size) == ARCHIVE_OK) {
    std::string_view k = key;
    if (k.starts_with("trusted.overlay.") || k.starts_with("user.overlay.")) {
      spdlog::warn("layer entry {}: overlay xattr {} dropped", Q(name), QuoteEntry(k));
      continue;
    }
    int r = fd >= 0 ? ::fsetxattr(fd, key, value, size, 0)
                    : ::lsetxattr(ProcPath(parent, base).c_str(), key, value, size, 0);
    if (r == 0) continue;
    if (errno == ENOTSUP || (rootless_ && errno == EPERM)) {
      spdlog::warn("layer entry {}: xattr {} not kept: {}", Q(name), QuoteEntry(k),
                   std::strerror(errno));
      continue;
    }
    return Errno(name, "set xattr " + QuoteEntry(k), errno);
  }
  return OkStatus();
}

void EntryWriter::Defer(const std::vector<std::string>& comps, archive_entry* e) {
  DeferredDir d{comps, static_cast<mode_t>(lib_.entry_perm(e) & 07777), {}};
  EntryTimes(lib_, e, d.times);
  // A repeated directory entry keeps its first position (parents before
  // children) but takes the later metadata, as tar extraction does.
  auto [it, inserted] = dir_index_.emplace(Join(comps), dirs_.size());
  if (inserted) {
    dirs_.push_back(std::move(d));
  } else {
    dirs_[it->second] = std::move(d);
  }
}

Status EntryWriter::Finish() {
  for (auto it = dirs_.rbegin(); it != dirs_.rend(); ++it) {
    auto dir = OpenDirBeneath(rootfd_, it->comps, it->comps.size(), false, Join(it->comps));
    // A later entry replaced this directory: its metadata no longer applies.
    if (!dir.ok()) continue;
    if (::fchmod(dir->get(), it->mode) != 0) {
      return ErrnoError("layer directory " + QuoteEntry(Join(it->comps)) + ": chmod", errno);
    }
    if (::futimens(dir->get(), it->times) != 0) {
      return ErrnoError("layer directory " + QuoteEntry(Join(it->comps)) + ": set times", errno);
    }
  }
  return OkStatus();
}

}  // namespace berth::image
