// UpdatePodSandboxResources through a real berthd: the pod-level limits land
// in the pod's cgroup (the pod's linux.cgroup_parent, created by runc for the
// infra container) and are recorded. This machine's CPU and memory
// controllers are on cgroup v1, so the v1 files are checked; pkg/cgroups'
// unit tests cover the v2 files.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/random.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "test/integration/sandbox/sandbox_env.h"

namespace berth::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class ResourcesTest : public SandboxFixture {
 protected:
  void SetUp() override {
    SandboxFixture::SetUp();
    ASSERT_TRUE(fs::is_directory("/sys/fs/cgroup/cpu")) << "expects cgroup v1 cpu controller";
    unsigned char r[4];
    ASSERT_EQ(getrandom(r, sizeof r, 0), 4);
    char buf[32];
    snprintf(buf, sizeof buf, "/berth-it-pod%02x%02x%02x%02x", r[0], r[1], r[2], r[3]);
    parent_ = buf;
    ASSERT_NO_FATAL_FAILURE(StartDaemon(RuncOnlyYaml()));
  }
  void TearDown() override {
    SandboxFixture::TearDown();
    // runc removes the infra's own cgroup; the pod cgroup is the kubelet's
    // in real life, here the test's.
    for (const auto& e : fs::directory_iterator("/sys/fs/cgroup")) {
      rmdir((e.path().string() + parent_).c_str());
    }
  }
  std::string Cg(const std::string& controller, const std::string& file) {
    std::string v = Slurp("/sys/fs/cgroup/" + controller + parent_ + "/" + file);
    while (!v.empty() && v.back() == '\n') v.pop_back();
    return v;
  }
  grpc::Status Update(const std::string& id, const rt::LinuxContainerResources& res,
                      const rt::LinuxContainerResources& overhead = {}) {
    rt::UpdatePodSandboxResourcesRequest req;
    req.set_pod_sandbox_id(id);
    *req.mutable_resources() = res;
    *req.mutable_overhead() = overhead;
    rt::UpdatePodSandboxResourcesResponse resp;
    return d_->runtime().UpdatePodSandboxResources(Ctx().get(), req, &resp);
  }
  std::string RunPod(const std::string& parent) {
    rt::PodSandboxConfig pod = PodConfig("sized");
    SetHostNetwork(&pod);
    pod.mutable_linux()->set_cgroup_parent(parent);
    std::string id;
    grpc::Status s = Run(pod, &id);
    EXPECT_TRUE(s.ok()) << s.error_message() << "\n" << d_->Log();
    return id;
  }
  std::string parent_;
};

TEST_F(ResourcesTest, UpdateWritesTheSumIntoThePodCgroupAndRecordsIt) {
  std::string id = RunPod(parent_);
  ASSERT_FALSE(id.empty());
  ASSERT_TRUE(fs::is_directory("/sys/fs/cgroup/cpu" + parent_)) << "runc made the pod cgroup";

  rt::LinuxContainerResources res, overhead;
  res.set_cpu_shares(512);
  res.set_cpu_period(100000);
  res.set_cpu_quota(50000);
  res.set_memory_limit_in_bytes(256 << 20);
  overhead.set_cpu_shares(10);
  overhead.set_cpu_quota(10000);
  overhead.set_memory_limit_in_bytes(16 << 20);
  grpc::Status s = Update(id.substr(0, 12), res, overhead);  // a prefix is enough
  ASSERT_TRUE(s.ok()) << s.error_message() << "\n" << d_->Log();
  EXPECT_EQ(Cg("cpu", "cpu.shares"), "522");
  EXPECT_EQ(Cg("cpu", "cpu.cfs_period_us"), "100000");
  EXPECT_EQ(Cg("cpu", "cpu.cfs_quota_us"), "60000");
  EXPECT_EQ(Cg("memory", "memory.limit_in_bytes"), std::to_string(272 << 20));

  // Recorded: in the verbose status and in state.json.
  auto info = nlohmann::json::parse(Status(id, true).info().at("info"));
  EXPECT_EQ(info["resources"]["cpu_shares"], "512");  // int64 is a string in proto JSON
  EXPECT_EQ(info["overhead"]["memory_limit_in_bytes"], std::to_string(16 << 20));
  auto state = nlohmann::json::parse(Slurp(Root() + "/sandboxes/" + id + "/state.json"));
  EXPECT_EQ(state["resources"]["memory_limit_in_bytes"], std::to_string(256 << 20));

  // A later update replaces: no quota now, less memory; shares left alone.
  rt::LinuxContainerResources unlimited;
  unlimited.set_cpu_quota(-1);
  unlimited.set_memory_limit_in_bytes(128 << 20);
  s = Update(id, unlimited);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(Cg("cpu", "cpu.cfs_quota_us"), "-1");
  EXPECT_EQ(Cg("cpu", "cpu.shares"), "522");
  EXPECT_EQ(Cg("memory", "memory.limit_in_bytes"), std::to_string(128 << 20));
  state = nlohmann::json::parse(Slurp(Root() + "/sandboxes/" + id + "/state.json"));
  EXPECT_EQ(state["resources"]["cpu_quota"], "-1");
  EXPECT_FALSE(state["resources"].contains("cpu_shares"));

  ASSERT_TRUE(Remove(id).ok());
  ExpectNoLeaks({RuncRoot()});
}

TEST_F(ResourcesTest, BadRequestsAreRefusedAndChangeNothing) {
  std::string id = RunPod(parent_);
  ASSERT_FALSE(id.empty());
  const std::string shares = Cg("cpu", "cpu.shares");

  rt::LinuxContainerResources negative;
  negative.set_memory_limit_in_bytes(-5);
  grpc::Status s = Update(id, negative);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("resources"));

  rt::LinuxContainerResources bad_period;
  bad_period.set_cpu_shares(100);
  bad_period.set_cpu_period(10);
  s = Update(id, {}, bad_period);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("overhead.cpu_period"));
  EXPECT_EQ(Cg("cpu", "cpu.shares"), shares) << "nothing applied from a refused request";

  rt::LinuxContainerResources some;
  some.set_cpu_shares(100);
  EXPECT_EQ(Update("ffffffffffff", some).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Update("", some).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  ASSERT_TRUE(Remove(id).ok());
}

TEST_F(ResourcesTest, PodWithoutItsOwnCgroupParentIsFailedPrecondition) {
  std::string id = RunPod("");
  ASSERT_FALSE(id.empty());
  rt::LinuxContainerResources some;
  some.set_cpu_shares(100);
  grpc::Status s = Update(id, some);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("cgroup_parent"));
  EXPECT_THAT(s.error_message(), HasSubstr(id));
  ASSERT_TRUE(Remove(id).ok());
}

}  // namespace
}  // namespace berth::testing
