// pkg/cni's ConfWatcher on Windows (conf_watcher_windows.cc), on Wine's file
// system: the callback follows the directory, also one created later.
#include <windows.h>

#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>

#include <gtest/gtest.h>

#include "pkg/cni/conf_watcher.h"
#include "test/windows/fs_win_test_util.h"

namespace berth::cni {
namespace {

constexpr auto kWait = std::chrono::seconds(10);

// Counts callbacks and what the directory held at each; waits for them.
class Observer {
 public:
  explicit Observer(std::string file) : file_(std::move(file)) {}
  void OnChange() {
    const bool there = GetFileAttributesA(file_.c_str()) != INVALID_FILE_ATTRIBUTES;
    std::lock_guard<std::mutex> lock(mu_);
    ++calls_;
    file_there_ = there;
    cv_.notify_all();
  }
  // Until a callback saw the file there (or not).
  bool WaitSeen(bool there) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, kWait, [&] { return calls_ > 0 && file_there_ == there; });
  }
  bool WaitCallsAbove(int n) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, kWait, [&] { return calls_ > n; });
  }
  int calls() {
    std::lock_guard<std::mutex> lock(mu_);
    return calls_;
  }

 private:
  const std::string file_;
  std::mutex mu_;
  std::condition_variable cv_;
  int calls_ = 0;
  bool file_there_ = false;
};

void Write(const std::string& path) {
  std::ofstream(path) << R"({"cniVersion":"1.0.0","name":"watched","plugins":[]})";
}

using ConfWatcherWin = test_util::FsWinTest;

TEST_F(ConfWatcherWin, CallsBackOnStartAndOnEveryChange) {
  const std::string dir = Path("net.d");
  std::filesystem::create_directories(dir);
  Observer seen(dir + "/10-a.conflist");
  ConfWatcher w(dir, [&] { seen.OnChange(); });
  ASSERT_TRUE(w.Start().ok());
  ASSERT_TRUE(seen.WaitSeen(false));  // the call right after Start
  Write(dir + "/10-a.conflist");
  EXPECT_TRUE(seen.WaitSeen(true));
  std::filesystem::remove(dir + "/10-a.conflist");
  EXPECT_TRUE(seen.WaitSeen(false));
}

TEST_F(ConfWatcherWin, ConfDirCreatedLater) {
  const std::string dir = Path("etc/cni/net.d");  // neither etc/ nor its children exist yet
  Observer seen(dir + "/10-a.conflist");
  ConfWatcher w(dir, [&] { seen.OnChange(); });
  ASSERT_TRUE(w.Start().ok());
  ASSERT_TRUE(seen.WaitSeen(false));
  std::filesystem::create_directories(Path("staging"));
  Write(Path("staging/10-a.conflist"));
  std::filesystem::create_directories(dir);
  std::filesystem::rename(Path("staging/10-a.conflist"), dir + "/10-a.conflist");
  ASSERT_TRUE(seen.WaitSeen(true));
  // Not tried here: the conf dir removed while watched. Wine 8 neither
  // signals a change notification when its own directory is deleted nor
  // lets the directory go while the notification holds it (it stays
  // delete-pending), so the removal cannot finish. On Windows the deletion
  // is expected to complete the notification, and Rearm, which then finds
  // no directory there, to move to the parent (not verified here).
}

TEST_F(ConfWatcherWin, StopJoinsAndNothingIsCalledAfter) {
  const std::string dir = Path("net.d");
  std::filesystem::create_directories(dir);
  Observer stopped(dir + "/10-a.conflist");
  ConfWatcher w(dir, [&] { stopped.OnChange(); });
  ASSERT_TRUE(w.Start().ok());
  ASSERT_TRUE(stopped.WaitCallsAbove(0));
  w.Stop();
  w.Stop();  // idempotent
  const int at_stop = stopped.calls();
  // A second watcher is the control: once it has seen the next change, the
  // stopped one would have too, had Stop left its thread watching.
  Observer control(dir + "/20-b.conflist");
  ConfWatcher c(dir, [&] { control.OnChange(); });
  ASSERT_TRUE(c.Start().ok());
  ASSERT_TRUE(control.WaitSeen(false));
  Write(dir + "/20-b.conflist");
  ASSERT_TRUE(control.WaitSeen(true));
  EXPECT_EQ(stopped.calls(), at_stop) << "the stopped watcher still called back";
}

}  // namespace
}  // namespace berth::cni
