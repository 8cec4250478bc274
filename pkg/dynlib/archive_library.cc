#include "pkg/dynlib/archive_library.h"

#include "pkg/dynlib/lazy_table.h"
#include "pkg/dynlib/shared_library.h"

namespace berth::dynlib {
namespace {

Result<ArchiveLibrary> OpenArchive() {
  BERTH_ASSIGN_OR_RETURN(SharedLibrary lib, SharedLibrary::Open(kArchiveLibraryName));
  ArchiveLibrary archive;
#define BERTH_ARCHIVE_RESOLVE(name) \
  BERTH_RETURN_IF_ERROR(lib.Resolve("archive_" #name, &archive.name));
  BERTH_ARCHIVE_FUNCTIONS(BERTH_ARCHIVE_RESOLVE)
#undef BERTH_ARCHIVE_RESOLVE
  return archive;
}

}  // namespace

Result<const ArchiveLibrary*> LoadArchive() {
  static LazyTable<ArchiveLibrary> table;
  Result<const ArchiveLibrary*> archive = table.Get(OpenArchive);
  if (!archive.ok()) {
    return archive.status().WithContext(std::string("layer unpacking needs libarchive (") +
                                        kArchiveLibrarySource + ")");
  }
  return archive;
}

}  // namespace berth::dynlib
