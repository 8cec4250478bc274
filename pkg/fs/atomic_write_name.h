// Internal to pkg/fs: where WriteFileAtomic writes, and the names of its temp
// files (".<base>.tmp-<random>", which IsAtomicWriteTempName recognizes),
// shared by its Linux (atomic_file.cc) and Windows builds.
#pragma once

#include <string>

#include "pkg/base/status.h"

namespace berth {

struct AtomicWritePath {
  std::string dir;   // "." when the path names no directory
  std::string base;  // the file's name in `dir`
};

// `path` split at its last '/'; InvalidArgument when it names no file ("",
// "dir/", ".", "..").
Result<AtomicWritePath> SplitAtomicWritePath(const std::string& path);

// A fresh temp name for `base` in the same directory; the caller creates it
// exclusively and draws again when it is taken.
std::string AtomicWriteTempName(const std::string& base);

}  // namespace berth
