#include "daemon/removal_reaper.h"

#include <gtest/gtest.h>

#include <future>
#include <latch>
#include <vector>

namespace berth::daemon {
namespace {

using std::chrono::milliseconds;

TEST(RemovalReaperTest, FinishesRemovalsInTheOrderTheyWereAnswered) {
  std::vector<std::string> done;  // written by the reaper's one thread only
  RemovalReaper reaper;
  for (const char* id : {"c1", "c2", "pod"}) {
    reaper.Enqueue(id, {}, [&done, id] { done.push_back(id); });
  }
  reaper.Drain();
  EXPECT_EQ(done, (std::vector<std::string>{"c1", "c2", "pod"}));
}

TEST(RemovalReaperTest, AnIdIsPendingUntilItsRemovalHasRun) {
  RemovalReaper reaper;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::latch started(1);
  reaper.Enqueue("c1", {}, [&] {
    started.count_down();
    released.wait();
  });
  started.wait();
  EXPECT_TRUE(reaper.Pending("c1")) << "running is still pending";
  EXPECT_FALSE(reaper.Pending("c2"));
  release.set_value();
  reaper.Drain();
  EXPECT_FALSE(reaper.Pending("c1"));
}

TEST(RemovalReaperTest, AnImageIsReleasedOnlyOnceItsContainersAreFinished) {
  RemovalReaper reaper;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  reaper.Enqueue("c1", {"sha256:img"}, [released] { released.wait(); });
  EXPECT_FALSE(reaper.WaitReleased("sha256:img", milliseconds(50)))
      << "c1's rootfs still mounts the image";
  EXPECT_TRUE(reaper.WaitReleased("sha256:other", milliseconds(0)));
  std::future<bool> waiter = std::async(std::launch::async, [&] {
    return reaper.WaitReleased("sha256:img", std::chrono::seconds(30));
  });
  release.set_value();
  EXPECT_TRUE(waiter.get()) << "the wait ends when c1's removal has run";
}

TEST(RemovalReaperTest, DestructionFinishesWhatIsQueued) {
  int finished = 0;
  {
    RemovalReaper reaper;
    std::promise<void> release;
    std::shared_future<void> released = release.get_future().share();
    reaper.Enqueue("c1", {}, [&, released] {
      released.wait();
      ++finished;
    });
    reaper.Enqueue("c2", {}, [&] { ++finished; });
    release.set_value();
  }
  EXPECT_EQ(finished, 2) << "a clean stop leaves no removal to restore";
}

}  // namespace
}  // namespace berth::daemon
