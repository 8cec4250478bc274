// Upstream crictl drives a pod and a container through berthd: runp, create,
// start, exec, logs, inspect, ps, stop, rm (if crictl and berth disagree
// about the API, berth is wrong).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "test/integration/containers/container_env.h"

namespace berth::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string Trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

TEST_F(ContainerTest, CrictlRunsAPodAndAContainerEndToEnd) {
  ASSERT_EQ(access(CrictlPath().c_str(), X_OK), 0) << "crictl not found at " << CrictlPath();
  const std::string pod_json = tmp_.Sub("pod.json"), ctr_json = tmp_.Sub("ctr.json");
  std::ofstream(pod_json) << nlohmann::json{
      {"metadata", {{"name", "crictl-pod"}, {"namespace", "default"}, {"uid", "crictl-uid"}}},
      {"log_directory", log_dir()},
      {"linux",
       {{"security_context",
         {{"namespace_options",
           {{"network", 2}}}}}}}}.dump();
  std::ofstream(ctr_json) << nlohmann::json{
      {"metadata", {{"name", "shell"}}},
      {"image", {{"image", BusyboxRef()}}},
      {"command", {"/bin/sh", "-c", "echo ready; exec sleep 1000"}},
      {"log_path", "shell.log"},
      {"labels",
       {{"tier", "test"}}}}.dump();

  ProcessResult pod = RunCrictl(*d_, {"runp", pod_json});
  ASSERT_EQ(pod.exit_code, 0) << pod.output << "\n" << d_->Log();
  const std::string pod_id = Trimmed(pod.output);
  ProcessResult created = RunCrictl(*d_, {"create", pod_id, ctr_json, pod_json});
  ASSERT_EQ(created.exit_code, 0) << created.output << "\n" << d_->Log();
  const std::string id = Trimmed(created.output);
  ASSERT_EQ(id.size(), 64u) << created.output;
  ProcessResult started = RunCrictl(*d_, {"start", id});
  ASSERT_EQ(started.exit_code, 0) << started.output;

  ProcessResult exec = RunCrictl(*d_, {"exec", "-s", id, "echo", "from-exec"});
  ASSERT_EQ(exec.exit_code, 0) << exec.output;
  EXPECT_THAT(exec.output, HasSubstr("from-exec"));

  WaitForLog("shell", "ready");
  ProcessResult logs = RunCrictl(*d_, {"logs", id});
  ASSERT_EQ(logs.exit_code, 0) << logs.output;
  EXPECT_THAT(logs.output, HasSubstr("ready"));

  ProcessResult inspect = RunCrictl(*d_, {"inspect", "-o", "json", id.substr(0, 12)});
  ASSERT_EQ(inspect.exit_code, 0) << inspect.output;
  auto j = nlohmann::json::parse(inspect.output);
  EXPECT_EQ(j["status"]["state"], "CONTAINER_RUNNING") << inspect.output;
  EXPECT_EQ(j["status"]["labels"]["tier"], "test");
  EXPECT_EQ(j["info"]["sandboxID"], pod_id);
  EXPECT_GT(j["info"]["pid"].get<int>(), 0);

  ProcessResult ps = RunCrictl(*d_, {"ps", "-q"});
  ASSERT_EQ(ps.exit_code, 0) << ps.output;
  EXPECT_THAT(ps.output, HasSubstr(id));

  ProcessResult stop = RunCrictl(*d_, {"stop", "--timeout", "1", id});
  ASSERT_EQ(stop.exit_code, 0) << stop.output;
  ProcessResult exited = RunCrictl(*d_, {"ps", "-a", "--state", "exited", "-q"});
  EXPECT_THAT(exited.output, HasSubstr(id));
  ProcessResult rm = RunCrictl(*d_, {"rm", id});
  ASSERT_EQ(rm.exit_code, 0) << rm.output;
  ProcessResult after = RunCrictl(*d_, {"ps", "-a", "-q"});
  EXPECT_THAT(after.output, Not(HasSubstr(id)));
  ExpectContainerGone(id);
  EXPECT_EQ(RunCrictl(*d_, {"stopp", pod_id}).exit_code, 0);
  EXPECT_EQ(RunCrictl(*d_, {"rmp", pod_id}).exit_code, 0);
}

}  // namespace
}  // namespace berth::testing
