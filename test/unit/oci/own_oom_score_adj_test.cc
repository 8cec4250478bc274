// BuildSandboxSpec's default clamp reads berthd's own oom_score_adj from
// /proc (ReadOwnOomScoreAdj, Linux); Windows answers Unimplemented
// (test/windows/runtime_win_test.cc).
#include <unistd.h>

#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "pkg/oci/sandbox_spec.h"

namespace berth::oci {
namespace {

using nlohmann::json;

TEST(SandboxSpec, OomScoreAdjClampReadsOwnValueByDefault) {
  SandboxSpecOptions o;
  o.id = std::string(64, 'a');
  o.rootfs = "/var/lib/berth/infra-rootfs";
  o.own_oom_score_adj.reset();
  // This process's own value, set and read back through /proc by the test
  // rather than taken from ReadOwnOomScoreAdj: a reader that returned a
  // constant (0 is the usual value) would otherwise agree with itself.
  const std::string path = "/proc/self/oom_score_adj";
  int before = 0;
  ASSERT_TRUE(std::ifstream(path) >> before) << "cannot read " << path;
  const int own = 100 + static_cast<int>(getpid() % 400);
  ASSERT_TRUE(std::ofstream(path) << own << std::flush) << "cannot write " << path;
  int now = 0;
  ASSERT_TRUE(std::ifstream(path) >> now);
  ASSERT_EQ(now, own);
  o.oom_score_adj = -1000;
  Result<json> spec = BuildSandboxSpec(o);
  std::ofstream(path) << before << std::flush;  // lowering it again needs root, which tests have
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_EQ((*spec)["process"]["oomScoreAdj"], own);
}

}  // namespace
}  // namespace berth::oci
