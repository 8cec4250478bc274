// TempDir: a fresh private directory (mkdtemp, mode 0700) that is removed with
// everything in it when the TempDir goes out of scope, unless Release()d.
#pragma once

#include <string>
#include <string_view>

#include "pkg/base/status.h"

namespace berth {

class TempDir {
 public:
  // Creates "<parent>/<prefix>XXXXXX". `parent` must exist; `prefix` must not
  // contain '/'.
  static Result<TempDir> Create(std::string_view parent, std::string_view prefix = "berth-");

  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  TempDir(TempDir&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }
  TempDir& operator=(TempDir&& other) noexcept;
  // Removes the tree (see RemoveAll: never follows symlinks, never enters a
  // mount); a failure is logged, as a destructor cannot report it.
  ~TempDir();

  // Empty once released, removed or moved from.
  const std::string& path() const { return path_; }

  // Keeps the directory on disk and returns its path; the TempDir owns nothing.
  std::string Release();

  // Removes the tree now and reports failure; the TempDir owns nothing after.
  Status Remove();

 private:
  explicit TempDir(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

}  // namespace berth
