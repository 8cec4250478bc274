// Issue 15 item 1: a state.json or config.json damaged on disk (a field of the
// wrong type) once aborted berthd at start-up, restart after restart. Now
// restore sets the damaged object aside with its reason, releases what it
// held, and serves everything else.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "test/integration/restore/restore_env.h"

namespace berth::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

class DamagedRestoreFilesTest : public RestoreFixture {
 protected:
  std::string SandboxBundle(const std::string& id) const { return Root() + "/sandboxes/" + id; }
  bool InRunc(const std::string& id) {
    return RunCommand({kRunc, "--root", RuncRoot(), "state", id}).exit_code == 0;
  }
  static void Rewrite(const std::string& path, const std::string& text) {
    ASSERT_TRUE(fs::exists(path)) << path;
    std::ofstream(path, std::ios::trunc) << text;
  }
};

TEST_F(DamagedRestoreFilesTest, WrongTypesInStateAndSpecAreQuarantinedAndTheRestIsServed) {
  ASSERT_NO_FATAL_FAILURE(StartRestoreDaemon());
  ASSERT_NO_FATAL_FAILURE(PullBusybox());
  const std::string bad_pod = RunPodOk("bad-state-pod");
  const std::string pod = RunPodOk("survivor");
  const std::string good = CreateAndStartOk(pod, TermExiting("good"));
  const std::string bad_state = CreateAndStartOk(pod, TermExiting("bad-state"));
  const std::string bad_user = CreateAndStartOk(pod, TermExiting("bad-user"));
  StopDaemon();

  // The state file the issue reported, a container state with a string exit
  // code, and a spec whose process.user is a string (each once threw from
  // nlohmann's typed reads, or was half applied).
  Rewrite(SandboxBundle(bad_pod) + "/state.json", R"({"state":"ready","pid":"x"})");
  Rewrite(ContainerBundle(bad_state) + "/state.json",
          R"({"state":"running","pid":1,"exit_code":"three"})");
  const std::string spec_path = ContainerBundle(bad_user) + "/config.json";
  nlohmann::json spec = nlohmann::json::parse(Slurp(spec_path));
  spec["process"]["user"] = "root";
  Rewrite(spec_path, spec.dump());
  ASSERT_NO_FATAL_FAILURE(Restart());

  // Set aside, each with its path and reason in the log.
  const std::vector<std::string> q = ListDirOrEmpty(Root() + "/quarantine");
  EXPECT_EQ(q.size(), 3u) << ::testing::PrintToString(q);
  EXPECT_THAT(q, Contains(StartsWith("sandbox-" + bad_pod + "-")));
  EXPECT_THAT(q, Contains(StartsWith("container-" + bad_state + "-")));
  EXPECT_THAT(q, Contains(StartsWith("container-" + bad_user + "-")));
  const std::string log = d_->Log();
  EXPECT_THAT(log, HasSubstr(SandboxBundle(bad_pod) + "/state.json: \"pid\" is not an integer"));
  EXPECT_THAT(
      log, HasSubstr(ContainerBundle(bad_state) + "/state.json: \"exit_code\" is not an integer"));
  EXPECT_THAT(log, HasSubstr("\"process.user\" is not an object"));
  // What they held outside their bundles is released.
  for (const std::string& id : {bad_pod, bad_state, bad_user}) {
    EXPECT_FALSE(InRunc(id)) << "runc still has " << id;
    EXPECT_THAT(Slurp("/proc/self/mountinfo"), Not(HasSubstr(id))) << id << " still mounted";
  }

  // The rest is served, and the quarantined names are free again.
  const std::vector<rt::PodSandbox> pods = List();
  ASSERT_EQ(pods.size(), 1u);
  EXPECT_EQ(pods[0].id(), pod);
  const std::vector<rt::Container> listed = ListContainers();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].id(), good);
  rt::ExecSyncResponse out;
  grpc::Status s = Exec(good, {"/bin/echo", "served"}, &out);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(out.stdout(), "served\n");
  EXPECT_NE(CreateAndStartOk(pod, TermExiting("bad-user")), bad_user);
  EXPECT_NE(RunPodOk("bad-state-pod"), bad_pod);

  KubeletCleanup();
  fs::remove_all(Root() + "/quarantine");  // for people to look at; the census covers the rest
  ExpectNoLeaksAtAll();
}

// Found by the chaos test (berthd killed with SIGKILL at random moments):
//  - killed inside the write of a new bundle's .creating marker, berthd left
//    a bundle holding only that write's temp file. Nothing of the object was
//    recorded, so restore undoes the creation as for an empty bundle; it is
//    not damage to set aside.
//  - killed while a removal deleted the bundle it had moved aside, berthd
//    left the exit file the removal deletes last.
TEST_F(DamagedRestoreFilesTest, WhatAKillCutShortIsFinishedNotQuarantined) {
  ASSERT_NO_FATAL_FAILURE(StartRestoreDaemon());
  StopDaemon();
  const std::string pod_id(64, 'a'), ctr_id(64, 'b'), removed_id(64, 'c');
  for (const std::string& bundle : {SandboxBundle(pod_id), ContainerBundle(ctr_id)}) {
    fs::create_directories(bundle);
    std::ofstream(bundle + "/.creating.tmp-Zq81xw");
  }
  fs::create_directories(Root() + "/containers/.trash-" + removed_id + "/rootfs");
  std::ofstream(RunRoot() + "/exits/" + removed_id) << "137";
  ASSERT_NO_FATAL_FAILURE(Restart());
  EXPECT_FALSE(fs::exists(Root() + "/containers/.trash-" + removed_id));
  EXPECT_FALSE(fs::exists(RunRoot() + "/exits/" + removed_id));

  EXPECT_THAT(ListDirOrEmpty(Root() + "/quarantine"), ::testing::IsEmpty());
  EXPECT_FALSE(fs::exists(SandboxBundle(pod_id)));
  EXPECT_FALSE(fs::exists(ContainerBundle(ctr_id)));
  const std::string log = d_->Log();
  EXPECT_THAT(log, HasSubstr("pod sandbox " + pod_id + ": creation (undone) interrupted"));
  EXPECT_THAT(log, HasSubstr("container " + ctr_id + ": creation (undone) interrupted"));
  ExpectNoLeaksAtAll();
}

}  // namespace
}  // namespace berth::testing
