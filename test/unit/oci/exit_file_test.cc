#include "pkg/oci/exit_file.h"

#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "pkg/fs/temp_dir.h"

namespace berth::oci {
namespace {

// Portable: also run under Wine by test/windows/runtime.cmake against
// exit_watch_windows.cc.
class ExitDir : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<TempDir> dir =
        TempDir::Create(std::filesystem::temp_directory_path().string(), "berth-oci-exit-");
    ASSERT_TRUE(dir.ok()) << dir.status().ToString();
    temp_.emplace(std::move(dir).value());
    dir_ = temp_->path();
  }
  std::optional<TempDir> temp_;
  // Writes like conmon does: temporary name, then rename.
  void WriteExit(const std::string& id, const std::string& content) {
    std::string tmp = dir_ + "/" + id + ".AB12CD";
    std::ofstream(tmp) << content;
    ASSERT_EQ(std::rename(tmp.c_str(), (dir_ + "/" + id).c_str()), 0);
  }
  std::string dir_;
};

TEST_F(ExitDir, ReadExitFile) {
  EXPECT_EQ(ReadExitFile(dir_, "c1").status().code(), Code::kNotFound);
  WriteExit("c1", "137");
  auto info = ReadExitFile(dir_, "c1");
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->exit_code, 137);
  EXPECT_EQ(info->id, "c1");
  auto age = std::chrono::system_clock::now() - info->finished;
  EXPECT_LT(age, std::chrono::minutes(1));
  WriteExit("c2", "garbage");
  EXPECT_EQ(ReadExitFile(dir_, "c2").status().code(), Code::kInternal);
  EXPECT_EQ(ReadExitFile(dir_, "../etc").status().code(), Code::kInvalidArgument);
}

TEST_F(ExitDir, WaitExitFileSeesLaterWrite) {
  std::thread writer([&] { WriteExit("c1", "0"); });
  auto info = WaitExitFile(dir_, "c1", std::chrono::seconds(10));
  writer.join();
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->exit_code, 0);
}

TEST_F(ExitDir, WaitExitFileTimesOut) {
  auto info = WaitExitFile(dir_, "c1", std::chrono::milliseconds(100));
  EXPECT_EQ(info.status().code(), Code::kDeadlineExceeded);
}

TEST_F(ExitDir, WatcherReportsExistingAndNewExits) {
  WriteExit("old", "1");
  std::mutex mu;
  std::condition_variable cv;
  std::vector<ExitInfo> seen;  // guarded by mu
  ExitWatcher w(dir_, [&](const ExitInfo& e) {
    std::lock_guard<std::mutex> l(mu);
    seen.push_back(e);
    cv.notify_all();
  });
  auto saw = [&](const std::string& id, int code) {
    for (const auto& e : seen) {
      if (e.id == id && e.exit_code == code) return true;
    }
    return false;
  };
  ASSERT_TRUE(w.Start().ok());
  {
    // The existing file first, so that the new one can only come from the
    // watch, not from the listing at the start.
    std::unique_lock<std::mutex> l(mu);
    ASSERT_TRUE(cv.wait_for(l, std::chrono::seconds(10), [&] { return saw("old", 1); }));
  }
  WriteExit("new", "143");
  {
    std::unique_lock<std::mutex> l(mu);
    ASSERT_TRUE(cv.wait_for(l, std::chrono::seconds(10), [&] { return saw("new", 143); }));
    for (const auto& e : seen) EXPECT_EQ(e.id.find('.'), std::string::npos) << e.id;
  }
  w.Stop();
  w.Stop();  // idempotent
}

TEST_F(ExitDir, WatcherOnMissingDirFails) {
  ExitWatcher w(dir_ + "/missing", [](const ExitInfo&) {});
  EXPECT_FALSE(w.Start().ok());
}

}  // namespace
}  // namespace berth::oci
