// Marker files in an object's bundle directory saying an operation on it is
// in progress: restore() finishes or undoes what a crash interrupted.
//   .creating  written right after the directory is made, removed once the
//              object is complete: found at start-up, the creation is undone.
//   .removing  written before removal deletes anything: found at start-up,
//              the removal is finished.
#pragma once

#include <string>

#include "pkg/base/status.h"

namespace berth::daemon {

inline constexpr char kCreatingMarker[] = ".creating";
inline constexpr char kRemovingMarker[] = ".removing";

Status SetMarker(const std::string& bundle_dir, const char* marker);
// Removes the marker and syncs the directory; a missing marker is fine.
Status ClearMarker(const std::string& bundle_dir, const char* marker);
bool HasMarker(const std::string& bundle_dir, const char* marker);

// Renames a bundle to ".trash-<name>" beside it (one atomic step), so that a
// crash during the slow recursive delete leaves nothing restore could take
// for a live object; restore deletes what it finds there. Returns the new path.
inline constexpr char kTrashPrefix[] = ".trash-";
Result<std::string> MoveToTrash(const std::string& bundle_dir);

}  // namespace berth::daemon
