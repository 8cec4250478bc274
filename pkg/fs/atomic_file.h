// Whole-file reads and crash-safe whole-file writes.
//
// WriteFileAtomic is how every piece of on-disk state (config.json, state
// files) is written: after a crash a reader sees either the old content or the
// new one, never a torn mix, and once it returns OK the new content survives a
// power loss.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <limits>
#include <string>
#include <string_view>

#include "pkg/base/status.h"

namespace berth {

// Replaces `path` with `content`, file mode exactly `mode` (the umask does not
// apply). Steps: a temp file in the same directory (O_EXCL, random suffix),
// write everything, fsync, rename over `path`, fsync the directory. On any
// failure before the rename the temp file is removed and `path` is untouched.
// Errors name `path` and the cause.
Status WriteFileAtomic(std::string_view path, std::string_view content, mode_t mode = 0644);

// Creates `path` (which must not exist) with `content`, file mode exactly
// `mode`, and no fsync: for short-lived files a child process reads right
// away and berth removes right after (an exec's process.json), where
// durability buys nothing and an fsync pair costs about a millisecond on disk.
// Errors name `path` and the cause; a failed write removes the file.
Status WriteFileTransient(std::string_view path, std::string_view content, mode_t mode = 0600);

// Creates `path` empty, or empties it if it exists, never through a symlink
// (a symlink at `path` is an error naming it), with no fsync: for marker
// files whose existence is what counts, made durable by the caller's
// FsyncDir of their directory. Errors name `path` and the cause.
Status CreateEmptyFile(std::string_view path, mode_t mode = 0600);

// Whether the directory entry `name` is one of WriteFileAtomic's temp files:
// what a crash between its create and its rename leaves behind.
bool IsAtomicWriteTempName(std::string_view name);

// Whether ReadFile follows a symlink that is the file itself (links in the
// directories above it are followed either way).
enum class FinalSymlink { kFollow, kRefuse };

// The whole content of `path`. A file larger than `max_bytes` is
// ResourceExhausted (for files whose size a hostile party may control); a
// missing file is NotFound; with FinalSymlink::kRefuse a symlink is an error
// (ELOOP) naming the path.
Result<std::string> ReadFile(std::string_view path,
                             size_t max_bytes = std::numeric_limits<size_t>::max(),
                             FinalSymlink final_symlink = FinalSymlink::kFollow);

}  // namespace berth
