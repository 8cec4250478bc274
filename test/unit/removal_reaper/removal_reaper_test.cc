#include "daemon/removal_reaper.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
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
    reaper.Enqueue(id, {}, [&done, id] {
      done.push_back(id);
      return true;
    });
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
    return true;
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
  reaper.Enqueue("c1", {"sha256:img"}, [released] {
    released.wait();
    return true;
  });
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
      return true;
    });
    reaper.Enqueue("c2", {}, [&] {
      ++finished;
      return true;
    });
    release.set_value();
  }
  EXPECT_EQ(finished, 2) << "a clean stop leaves no removal to restore";
}

// A step that fails for a moment (a gVisor sandbox going down under the
// delete) does not leave the removal to the next start: it runs again, before
// the removals answered after it, and holds its image until done.
TEST(RemovalReaperTest, AFailedRemovalIsRetriedInPlaceUntilItIsDone) {
  std::vector<std::string> done;  // written by the reaper's one thread only
  int attempts = 0;
  RemovalReaper reaper({milliseconds(1), milliseconds(1), milliseconds(1)});
  reaper.Enqueue("c1", {"sha256:img"}, [&] {
    done.push_back("c1 attempt " + std::to_string(++attempts));
    return attempts == 3;
  });
  reaper.Enqueue("pod", {}, [&] {
    done.push_back("pod");
    return true;
  });
  reaper.Drain();
  EXPECT_EQ(done,
            (std::vector<std::string>{"c1 attempt 1", "c1 attempt 2", "c1 attempt 3", "pod"}));
  EXPECT_FALSE(reaper.Pending("c1"));
  EXPECT_TRUE(reaper.WaitReleased("sha256:img", milliseconds(0)));
}

TEST(RemovalReaperTest, ARemovalThatKeepsFailingIsLeftAfterItsRetries) {
  int attempts = 0;
  RemovalReaper reaper({milliseconds(1), milliseconds(1)});
  reaper.Enqueue("c1", {"sha256:img"}, [&] {
    ++attempts;
    return false;
  });
  reaper.Drain();
  EXPECT_EQ(attempts, 3) << "the first attempt and two retries";
  EXPECT_FALSE(reaper.Pending("c1")) << "left for the next start";
  EXPECT_TRUE(reaper.WaitReleased("sha256:img", milliseconds(0)));
}

TEST(RemovalReaperTest, StoppingDoesNotWaitForARetry) {
  std::atomic<int> attempts = 0;
  std::latch failed(1);
  const auto start = std::chrono::steady_clock::now();
  {
    RemovalReaper reaper({std::chrono::hours(1)});
    reaper.Enqueue("c1", {}, [&] {
      if (++attempts == 1) failed.count_down();
      return false;
    });
    failed.wait();
  }  // the reaper stops while its one retry waits
  EXPECT_EQ(attempts, 1);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::minutes(1));
}

}  // namespace
}  // namespace berth::daemon
