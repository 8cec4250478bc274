// The fixture of pkg/fs's Windows tests: a fresh directory under the
// Windows temp directory, removed with its tree afterwards.
#pragma once

#include <windows.h>

#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "pkg/fs/temp_dir.h"

namespace berth::test_util {

inline bool Exists(const std::string& path) {
  return ::GetFileAttributesA(path.c_str()) != INVALID_FILE_ATTRIBUTES;
}

// The Windows temp directory with forward slashes, as berth's paths are.
inline std::string SystemTempDir() {
  char buf[MAX_PATH + 1];
  const DWORD n = ::GetTempPathA(sizeof buf, buf);
  std::string dir(buf, n);
  for (char& c : dir) c = c == '\\' ? '/' : c;
  while (dir.size() > 3 && dir.back() == '/') dir.pop_back();
  return dir;
}

class FsWinTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<TempDir> dir = TempDir::Create(SystemTempDir(), "berth-fs-test-");
    ASSERT_TRUE(dir.ok()) << dir.status().ToString();
    dir_.emplace(std::move(dir).value());
  }
  std::string Path(const std::string& name) const { return dir_->path() + "/" + name; }
  std::optional<TempDir> dir_;
};

}  // namespace berth::test_util
