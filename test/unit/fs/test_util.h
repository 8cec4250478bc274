// Helpers shared by the fs tests.
#pragma once

#include <sys/stat.h>

#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "pkg/fs/temp_dir.h"

namespace berth::testing_util {

inline bool Exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

// A fixture owning a fresh temp dir under /tmp.
class TempDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<TempDir> dir = TempDir::Create("/tmp", "berth-fs-test-");
    ASSERT_TRUE(dir.ok()) << dir.status().ToString();
    dir_.emplace(std::move(dir).value());
  }
  std::string Path(const std::string& name) const { return dir_->path() + "/" + name; }
  std::optional<TempDir> dir_;
};

}  // namespace berth::testing_util
