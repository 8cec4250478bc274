#include "pkg/process/wait_gone.h"

#include <signal.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "pkg/process/spawn.h"

namespace berth::process {
namespace {

using std::chrono::milliseconds;

TEST(WaitProcessGone, GoneAndAlive) {
  EXPECT_TRUE(WaitProcessGone(-1, milliseconds(1)));
  EXPECT_FALSE(WaitProcessGone(getpid(), milliseconds(10)));
}

TEST(WaitProcessGone, SeesAnExitAsItHappens) {
  SpawnOptions o;
  o.argv = {"/bin/sleep", "30"};
  auto child = Spawn(o);
  ASSERT_TRUE(child.ok());
  EXPECT_FALSE(WaitProcessGone(child->pid(), milliseconds(50)));
  ASSERT_TRUE(child->Signal(SIGKILL).ok());
  // Exited but not reaped yet (a zombie) counts as gone.
  EXPECT_TRUE(WaitProcessGone(child->pid(), std::chrono::seconds(30)));
  EXPECT_EQ(child->Wait()->term_signal, SIGKILL);
}

}  // namespace
}  // namespace berth::process
