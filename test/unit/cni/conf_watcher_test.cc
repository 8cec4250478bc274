#include "pkg/cni/conf_watcher.h"

#include <filesystem>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "pkg/cni/cni_network.h"
#include "test/unit/cni/test_util.h"

namespace berth::cni {
namespace {

using ::testing::HasSubstr;
using testing::InstallFake;
using testing::TempDir;
using testing::WriteFile;

constexpr auto kWait = std::chrono::seconds(10);
constexpr char kList[] = R"({"cniVersion":"1.0.0","name":"watched","plugins":[{"type":"fake"}]})";

class WatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    InstallFake(plugins_.path(), "fake-ok", "fake");
    opts_.plugin_dirs = {plugins_.path()};
    opts_.cache_dir = root_ / "cache";
  }
  // Waits until the network's readiness is `ready`, observing reloads.
  bool WaitReady(CniNetwork& net, bool ready) {
    auto deadline = std::chrono::steady_clock::now() + kWait;
    while (true) {
      auto st = net.GetStatus();
      if (st.ready == ready) return true;
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      net.WaitForReload(st.generation, left);
    }
  }
  TempDir root_, plugins_;
  CniOptions opts_;
};

TEST_F(WatchTest, NetworkReadyFollowsConfigFiles) {
  opts_.conf_dir = root_ / "net.d";
  std::filesystem::create_directories(opts_.conf_dir);
  CniNetwork net(opts_);
  ASSERT_TRUE(net.StartWatching().ok());
  ASSERT_TRUE(WaitReady(net, false));
  EXPECT_THAT(net.GetStatus().reason, HasSubstr("no CNI network config found in"));

  WriteFile(opts_.conf_dir + "/10-a.conflist", kList);
  ASSERT_TRUE(WaitReady(net, true));
  EXPECT_EQ(net.GetStatus().network_name, "watched");

  std::filesystem::remove(opts_.conf_dir + "/10-a.conflist");
  ASSERT_TRUE(WaitReady(net, false));
}

TEST_F(WatchTest, ConfDirCreatedLater) {
  opts_.conf_dir = root_ / "etc/cni/net.d";  // neither etc/ nor its children exist yet
  CniNetwork net(opts_);
  ASSERT_TRUE(net.StartWatching().ok());
  ASSERT_TRUE(WaitReady(net, false));
  // Written elsewhere and renamed in, as config managers do.
  WriteFile(root_ / "staging/10-a.conflist", kList);
  std::filesystem::create_directories(opts_.conf_dir);
  std::filesystem::rename(root_ / "staging/10-a.conflist", opts_.conf_dir + "/10-a.conflist");
  ASSERT_TRUE(WaitReady(net, true));
  // The directory goes away and comes back.
  std::filesystem::remove_all(root_ / "etc");
  ASSERT_TRUE(WaitReady(net, false));
  WriteFile(opts_.conf_dir + "/20-b.conflist", kList);
  ASSERT_TRUE(WaitReady(net, true));
}

TEST_F(WatchTest, InvalidFileIsSkippedUntilFixed) {
  opts_.conf_dir = root_ / "net.d";
  WriteFile(opts_.conf_dir + "/10-a.conflist", "{broken");
  CniNetwork net(opts_);
  ASSERT_TRUE(net.StartWatching().ok());
  ASSERT_TRUE(WaitReady(net, false));
  EXPECT_THAT(net.GetStatus().reason, HasSubstr("10-a.conflist: not valid JSON"));
  WriteFile(opts_.conf_dir + "/10-a.conflist", kList);
  ASSERT_TRUE(WaitReady(net, true));
}

TEST(ConfWatcherTest, StopJoinsAndCallsBackOnStart) {
  TempDir dir;
  std::atomic<int> calls{0}, control_calls{0};
  ConfWatcher w(dir.path(), [&] { ++calls; });
  ASSERT_TRUE(w.Start().ok());
  EXPECT_TRUE(testing::WaitFor([&] { return calls.load() >= 1; }));
  // While it runs, a change in the directory reaches the callback.
  const int before_change = calls.load();
  WriteFile(dir.path() + "/10-a.conflist", kList);
  EXPECT_TRUE(testing::WaitFor([&] { return calls.load() > before_change; }));

  w.Stop();
  w.Stop();  // idempotent
  const int at_stop = calls.load();
  // A second watcher on the same directory is the control: once it has seen
  // the next change, the stopped one would have seen it too, had Stop left
  // its thread watching.
  ConfWatcher control(dir.path(), [&] { ++control_calls; });
  ASSERT_TRUE(control.Start().ok());
  ASSERT_TRUE(testing::WaitFor([&] { return control_calls.load() >= 1; }));
  const int control_before = control_calls.load();
  WriteFile(dir.path() + "/20-b.conflist", kList);
  ASSERT_TRUE(testing::WaitFor([&] { return control_calls.load() > control_before; }));
  EXPECT_EQ(calls.load(), at_stop) << "the stopped watcher still called back";
}

}  // namespace
}  // namespace berth::cni
