// Issue 15 item 4 through a real berthd: a container builds a directory tree
// 100,000 levels deep in its writable layer, then is stopped and removed.
// Removal once recursed once per level (a descriptor, a stack frame and a
// growing path each), so it failed or crashed berthd, and restore repeated it
// at every start.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "test/integration/restore/restore_env.h"

namespace berth::testing {
namespace {

namespace fs = std::filesystem;

// Nests 100 chains of 1,000 directories: each new chain is made with one
// `mkdir -p`, and the tree so far is moved under its bottom, so no path the
// shell hands the kernel exceeds PATH_MAX while the tree grows 100,100 deep.
constexpr char kBuildDeepTree[] = R"(
set -e
P=d; i=1; while [ $i -lt 1000 ]; do P=$P/d; i=$((i+1)); done
mkdir -p /deep; cd /deep; mkdir -p c0/$P
n=1; while [ $n -lt 100 ]; do mkdir -p c$n/$P; mv c$((n-1)) c$n/$P/; n=$((n+1)); done
echo built
)";

class DeepTreeTest : public RestoreFixture {};

TEST_F(DeepTreeTest, ContainerWithAHundredThousandDeepTreeIsStoppedAndRemoved) {
  ASSERT_NO_FATAL_FAILURE(StartRestoreDaemon());
  ASSERT_NO_FATAL_FAILURE(PullBusybox());
  const std::string pod = RunPodOk("deep");
  const std::string id = CreateAndStartOk(pod, TermExiting("builder"));

  rt::ExecSyncRequest req;
  req.set_container_id(id);
  for (const char* a : {"/bin/sh", "-c", kBuildDeepTree}) req.add_cmd(a);
  req.set_timeout(600);
  rt::ExecSyncResponse out;
  grpc::Status s = d_->runtime().ExecSync(Ctx(std::chrono::seconds(660)).get(), req, &out);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(out.exit_code(), 0) << out.stderr();
  ASSERT_EQ(out.stdout(), "built\n");

  s = StopContainer(id, 10);
  ASSERT_TRUE(s.ok()) << s.error_message();
  // RemoveContainer answers once the removal is durable; unlinking 100,000
  // directories runs after the answer and is disk-bound: on a busy disk it
  // takes minutes.
  rt::RemoveContainerRequest remove;
  remove.set_container_id(id);
  rt::RemoveContainerResponse removed;
  s = d_->runtime().RemoveContainer(Ctx().get(), remove, &removed);
  ASSERT_TRUE(s.ok()) << s.error_message() << "\n" << d_->Log();
  ASSERT_TRUE(d_->WaitRemovalsFinished(std::chrono::seconds(900)))
      << "the deep tree's removal did not finish\n"
      << d_->Log();
  EXPECT_FALSE(fs::exists(ContainerBundle(id)));
  EXPECT_TRUE(ListContainers().empty());

  // berthd is whole: a restart restores the pod and nothing else.
  StopDaemon();
  ASSERT_NO_FATAL_FAILURE(Restart());
  EXPECT_EQ(List().size(), 1u);
  KubeletCleanup();
  ExpectNoLeaksAtAll();
}

}  // namespace
}  // namespace berth::testing
