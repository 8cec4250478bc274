// ForkRun: a function run in a child of its own, with Spawn's descriptor map
// and working directory.
#include <fcntl.h>
#include <limits.h>
#include <unistd.h>

#include <cstring>

#include <gtest/gtest.h>

#include "pkg/process/spawn.h"
#include "test/unit/process/test_util.h"

namespace berth::process {
namespace {

using testing::MakePipe;
using testing::ReadAll;

SpawnOptions Named(const std::string& name) {
  SpawnOptions o;
  o.argv = {name};
  return o;
}

TEST(ForkRun, BodyRunsInAnotherProcessAndItsResultIsTheExitCode) {
  auto out = MakePipe();
  SpawnOptions o = Named("pid reporter");
  o.fds.push_back({3, out.write.get()});
  auto child = ForkRun(o, [] {
    const pid_t me = getpid();
    return write(3, &me, sizeof me) == sizeof me ? 42 : 1;
  });
  ASSERT_TRUE(child.ok()) << child.status().ToString();
  out.write.reset();
  const std::string got = ReadAll(out.read.get());
  ASSERT_EQ(got.size(), sizeof(pid_t));
  pid_t reported;
  memcpy(&reported, got.data(), sizeof reported);
  EXPECT_EQ(reported, child->pid());
  EXPECT_NE(reported, getpid());
  auto st = child->Wait();
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  EXPECT_EQ(st->exit_code, 42);
}

TEST(ForkRun, BodyHasTheWorkingDirectoryAndOnlyTheMappedDescriptors) {
  testing::Scratch scratch;
  ScopedFd leak = testing::OpenInheritable(scratch / "marker", 100);
  const int leaked_fd = leak.get();
  char expected_cwd[PATH_MAX] = {};
  ASSERT_NE(realpath(scratch.dir.path().c_str(), expected_cwd), nullptr);
  auto mapped = MakePipe();
  SpawnOptions o = Named("checker");
  o.cwd = scratch.dir.path();
  o.fds.push_back({5, mapped.write.get()});
  // Exit codes name what the body found wrong; 0 is all well.
  auto child = ForkRun(o, [&] {
    char cwd[PATH_MAX];
    if (getcwd(cwd, sizeof cwd) == nullptr || strcmp(cwd, expected_cwd) != 0) return 2;
    if (fcntl(leaked_fd, F_GETFD) != -1) return 3;  // an fd the map did not give
    if (fcntl(5, F_GETFD) == -1) return 4;          // the mapped one is missing
    return 0;
  });
  ASSERT_TRUE(child.ok()) << child.status().ToString();
  auto st = child->Wait();
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  EXPECT_EQ(st->exit_code, 0) << "2: wrong cwd, 3: unmapped fd open, 4: mapped fd missing";
}

TEST(ForkRun, AFailedSetUpIsAnErrorAndTheBodyNeverRuns) {
  auto out = MakePipe();
  SpawnOptions o = Named("never");
  o.cwd = "/nonexistent/berth-fork-run";
  o.fds.push_back({3, out.write.get()});
  auto child = ForkRun(o, [] { return write(3, "ran", 3) == 3 ? 0 : 1; });
  out.write.reset();
  ASSERT_FALSE(child.ok());
  EXPECT_NE(child.status().ToString().find("chdir"), std::string::npos)
      << child.status().ToString();
  EXPECT_EQ(ReadAll(out.read.get()), "");
}

}  // namespace
}  // namespace berth::process
