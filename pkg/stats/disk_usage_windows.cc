// DiskUsageWalk on Windows (disk_usage.cc is the Linux one): FindFirstFileExW
// lists each directory; every entry is opened for its attributes only, never
// through a reparse point (FILE_FLAG_OPEN_REPARSE_POINT), which gives its
// volume, file index and link count (hard links count once) and its
// allocation size (what it holds on disk).
#include <windows.h>

#include <set>
#include <utility>
#include <vector>

#include "pkg/base/win32_error.h"
#include "pkg/fs/windows/scoped_handle.h"
#include "pkg/stats/disk_usage.h"

namespace berth::stats {
namespace {

using win::ScopedHandle;

// One entry as the walk sees it.
struct EntryInfo {
  DWORD attributes = 0;
  DWORD volume = 0;
  uint64_t file_index = 0;
  DWORD links = 0;
  uint64_t allocated = 0;

  bool IsDirectory() const { return (attributes & FILE_ATTRIBUTE_DIRECTORY) != 0; }
  bool IsReparsePoint() const { return (attributes & FILE_ATTRIBUTE_REPARSE_POINT) != 0; }
};

// False when the entry cannot be opened or asked (gone since the listing).
bool StatEntry(const std::wstring& path, EntryInfo* info) {
  ScopedHandle h(CreateFileW(
      path.c_str(), FILE_READ_ATTRIBUTES, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
      nullptr, OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OPEN_REPARSE_POINT, nullptr));
  if (!h) return false;
  BY_HANDLE_FILE_INFORMATION by_handle{};
  FILE_STANDARD_INFO standard{};
  if (!GetFileInformationByHandle(h.get(), &by_handle) ||
      !GetFileInformationByHandleEx(h.get(), FileStandardInfo, &standard, sizeof(standard))) {
    return false;
  }
  info->attributes = by_handle.dwFileAttributes;
  info->volume = by_handle.dwVolumeSerialNumber;
  info->file_index = (uint64_t{by_handle.nFileIndexHigh} << 32) | by_handle.nFileIndexLow;
  info->links = by_handle.nNumberOfLinks;
  info->allocated = static_cast<uint64_t>(standard.AllocationSize.QuadPart);
  return true;
}

// One directory being listed.
struct Listing {
  std::wstring path;
  HANDLE find = INVALID_HANDLE_VALUE;
  WIN32_FIND_DATAW data{};
  bool has_data = false;  // `data` holds an entry not yet visited

  ~Listing() {
    if (find != INVALID_HANDLE_VALUE) FindClose(find);
  }
  // The next entry's name, or false at the end.
  bool Next(std::wstring* name) {
    if (!has_data && (find == INVALID_HANDLE_VALUE || !FindNextFileW(find, &data))) return false;
    has_data = false;
    *name = data.cFileName;
    return true;
  }
};

std::unique_ptr<Listing> List(const std::wstring& dir) {
  auto listing = std::make_unique<Listing>();
  listing->path = dir;
  listing->find = FindFirstFileExW((dir + L"\\*").c_str(), FindExInfoBasic, &listing->data,
                                   FindExSearchNameMatch, nullptr, FIND_FIRST_EX_LARGE_FETCH);
  listing->has_data = listing->find != INVALID_HANDLE_VALUE;
  return listing;
}

}  // namespace

struct DiskUsageWalk::Walker {
  DWORD volume = 0;
  std::vector<std::unique_ptr<Listing>> open;  // the current path, innermost last
  // Files with several links already counted (directories cannot be hard linked).
  std::set<uint64_t> linked;
  DiskUsage usage;

  void Count(const EntryInfo& info) {
    if (!info.IsDirectory() && info.links > 1 && !linked.insert(info.file_index).second) return;
    usage.bytes += info.allocated;
    ++usage.inodes;
  }
};

DiskUsageWalk::DiskUsageWalk(std::unique_ptr<Walker> walker) : walker_(std::move(walker)) {}
DiskUsageWalk::~DiskUsageWalk() = default;

bool DiskUsageWalk::done() const {
  return walker_->open.empty();
}
const DiskUsage& DiskUsageWalk::usage() const {
  return walker_->usage;
}

Result<std::unique_ptr<DiskUsageWalk>> DiskUsageWalk::Begin(const std::string& dir) {
  BERTH_ASSIGN_OR_RETURN(std::wstring wide, win::Utf8ToWide(dir));
  while (wide.size() > 3 && (wide.back() == L'\\' || wide.back() == L'/')) wide.pop_back();
  EntryInfo root;
  if (!StatEntry(wide, &root)) return win::Win32Error("open " + dir, GetLastError());
  if (root.IsReparsePoint()) {
    return InvalidArgument("measure " + dir + ": it is a reparse point (a link), not a directory");
  }
  if (!root.IsDirectory()) return InvalidArgument("measure " + dir + ": not a directory");
  auto walker = std::make_unique<Walker>();
  walker->volume = root.volume;
  walker->open.push_back(List(wide));
  walker->Count(root);
  return std::unique_ptr<DiskUsageWalk>(new DiskUsageWalk(std::move(walker)));
}

size_t DiskUsageWalk::Step(size_t budget) {
  Walker& w = *walker_;
  size_t visited = 0;
  std::wstring name;
  while (visited < budget && !w.open.empty()) {
    Listing& top = *w.open.back();
    if (!top.Next(&name)) {  // the end, or a directory removed under us
      w.open.pop_back();
      continue;
    }
    if (name == L"." || name == L"..") continue;
    ++visited;
    const std::wstring path = top.path + L"\\" + name;
    EntryInfo info;
    if (!StatEntry(path, &info)) continue;  // gone since the listing
    if (info.volume != w.volume) continue;  // another volume: not ours
    w.Count(info);
    // A reparse point counts as itself and is never entered: a link's
    // target, or a volume mounted here, is not part of the tree.
    if (info.IsDirectory() && !info.IsReparsePoint() && w.open.size() < kMaxDepth) {
      w.open.push_back(List(path));
    }
  }
  return visited;
}

Result<DiskUsage> MeasureDiskUsage(const std::string& dir) {
  BERTH_ASSIGN_OR_RETURN(std::unique_ptr<DiskUsageWalk> walk, DiskUsageWalk::Begin(dir));
  while (!walk->done()) walk->Step(4096);
  return walk->usage();
}

}  // namespace berth::stats
