// RunPodSandbox on a runc-compatible runtime runs the pod network's CNI ADD
// beside the infra container's create, through a real berthd, runc and CNI
// chain: a plugin at the end of the chain looks for the infra container in
// runc's state root while its ADD is in progress.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "test/integration/sandbox/sandbox_env.h"

namespace berth::testing {
namespace {

namespace fs = std::filesystem;

// A chained plugin whose ADD waits (10 s at most) for runc's state file of
// the pod, which `runc create` writes, records whether it came during the
// ADD ("overlapped") or not ("sequential"), and passes prevResult on. Called
// one after the other, the ADD would wait in vain.
constexpr char kWitness[] =
    "[ \"$CNI_COMMAND\" = ADD ] || { cat >/dev/null; exit 0; }\n"
    "seen=sequential; n=0\n"
    "while [ $n -lt 200 ]; do\n"
    "  [ -f \"$runc_root/$CNI_CONTAINERID/state.json\" ] && { seen=overlapped; break; }\n"
    "  /bin/sleep 0.05; n=$((n+1))\n"
    "done\n"
    "echo $seen > \"$(dirname \"$0\")/witness.$CNI_CONTAINERID\"\n"
    "exec /usr/bin/python3 -c 'import json,sys; c=json.load(sys.stdin); "
    "print(json.dumps(c[\"prevResult\"]))'";

class OverlapTest : public SandboxFixture {};

TEST_F(OverlapTest, CniAddRunsWhileTheInfraContainerIsCreatedOnRunc) {
  const std::string plugins = tmp_.Sub("plugins");
  fs::create_directories(plugins);
  WriteScript(plugins + "/witness", "runc_root=" + RuncRoot() + "\n" + kWitness);
  TestNetwork net = MakeNetwork(tmp_.path(), {"witness"});
  ASSERT_NO_FATAL_FAILURE(StartDaemon(RuncOnlyYaml(), {plugins}, &net));

  std::string id;
  grpc::Status s = Run(PodConfig("overlap"), &id);
  ASSERT_TRUE(s.ok()) << s.error_message() << "\n" << d_->Log();
  EXPECT_EQ(Slurp(plugins + "/witness." + id), "overlapped\n")
      << "the infra container was not created while CNI ADD ran";
  // The network is the pod's all the same.
  EXPECT_THAT(Status(id).status().network().ip(), ::testing::StartsWith(net.subnet_prefix));
  ASSERT_TRUE(Remove(id).ok());
  ExpectNoLeaks({RuncRoot()});
}

}  // namespace
}  // namespace berth::testing
