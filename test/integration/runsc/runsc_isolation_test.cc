// Routing means isolation: a pod sent to the untrusted runtime by any rule
// of the routing table runs on gVisor's kernel, seen from inside its
// container (uname -r is gVisor's 4.4.0, the kernel log is gVisor's boot
// log), while a trusted pod beside it, on the same berthd, sees the host's
// kernel. And the shipped drop-in (config/berth.yaml.d/50-runsc.yaml) is
// what makes runsc the untrusted runtime on a node that has it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "test/integration/runsc/runsc_env.h"

namespace berth::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// What gVisor's kernel logs first at boot; the host's log never has it.
constexpr char kGvisorBootLine[] = "Starting gVisor";

class GvisorIsolationTest : public GvisorTest {
 protected:
  // The kernel log inside a running container (busybox dmesg).
  std::string KernelLogOf(const std::string& container_id) {
    rt::ExecSyncResponse out;
    grpc::Status s = Exec(container_id, {"dmesg"}, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out.stdout() + out.stderr();
  }

  // Runs a pod (annotations, handler), starts a sleeping container in it and
  // returns the container's ID; `handler_out` gets the pod's runtime handler.
  std::string RunSleeper(const std::string& name,
                         const std::map<std::string, std::string>& annotations,
                         const std::string& handler, std::string* handler_out) {
    rt::PodSandboxConfig c = PodConfig(name, "uid-" + name);
    c.set_log_directory(LogDir());
    for (const auto& [k, v] : annotations) (*c.mutable_annotations())[k] = v;
    std::string pod;
    grpc::Status s = Run(c, &pod, handler);
    EXPECT_TRUE(s.ok()) << name << ": " << s.error_message() << "\n" << d_->Log();
    if (!s.ok()) return "";
    *handler_out = Status(pod).status().runtime_handler();
    return CreateAndStartOk(pod, Config("sleeper", {"sleep", "3600"}));
  }

  // The pod `name` (routed by `annotations` / `handler`) runs under gVisor.
  void ExpectOnGvisor(const std::string& name,
                      const std::map<std::string, std::string>& annotations,
                      const std::string& handler = "") {
    SCOPED_TRACE(name);
    std::string chosen;
    const std::string id = RunSleeper(name, annotations, handler, &chosen);
    ASSERT_FALSE(id.empty());
    EXPECT_EQ(chosen, "runsc");
    EXPECT_EQ(KernelOf(id), kGvisorKernel);
    EXPECT_THAT(KernelLogOf(id), HasSubstr(kGvisorBootLine));
    EXPECT_EQ(RunscStatus(id), "running");
  }

  // The pod `name` (routed by `annotations`) runs under runc on the host's
  // kernel.
  void ExpectOnHostKernel(const std::string& name,
                          const std::map<std::string, std::string>& annotations) {
    SCOPED_TRACE(name);
    std::string chosen;
    const std::string id = RunSleeper(name, annotations, "", &chosen);
    ASSERT_FALSE(id.empty());
    EXPECT_EQ(chosen, "runc");
    EXPECT_EQ(KernelOf(id), HostKernel());
    EXPECT_NE(HostKernel(), kGvisorKernel);
    EXPECT_EQ(RunscStatus(id), "gone");
  }
};

// default_workload_trust: untrusted (GvisorTest's config): a pod with no
// annotation and no handler goes to runsc; a trust annotation keeps its
// neighbour on runc.
TEST_F(GvisorIsolationTest, DefaultWorkloadTrustUntrustedRunsUnannotatedPodsOnGvisor) {
  ExpectOnGvisor("default-untrusted", {});
  ExpectOnHostKernel("trusted-neighbour", {{"io.kubernetes.cri-o.TrustedSandbox", "true"}});
  CleanUpAndExpectNoGvisorLeaks();
}

// default_workload_trust: trusted: each per-pod rule that means untrusted
// (CRI-O's and berth's trust annotations, containerd's untrusted-workload
// annotation, RuntimeClass handler runsc) moves its pod to gVisor, while an
// unannotated pod stays on the host's kernel.
TEST_F(GvisorIsolationTest, EveryUntrustedRuleOfTheRoutingTableRunsThePodOnGvisor) {
  ASSERT_NO_FATAL_FAILURE(RestartWith(RuntimesYaml("trusted")));
  ExpectOnHostKernel("plain", {});
  ExpectOnGvisor("crio-untrusted", {{"io.kubernetes.cri-o.TrustedSandbox", "false"}});
  ExpectOnGvisor("berth-untrusted", {{"io.berth.trusted-sandbox", "false"}});
  ExpectOnGvisor("containerd-untrusted", {{"io.kubernetes.cri.untrusted-workload", "true"}});
  ExpectOnGvisor("runtimeclass-runsc", {}, "runsc");
  CleanUpAndExpectNoGvisorLeaks();
}

// A node with runc alone in berth.yaml gains runsc as its untrusted runtime
// from the shipped drop-in; a later drop-in changes one key of the entry
// (here its state root, into the test's directory).
TEST_F(GvisorIsolationTest, ShippedDropInMakesRunscTheUntrustedRuntime) {
  ASSERT_NO_FATAL_FAILURE(RestartWith(RuncOnlyYaml() + "trusted_runtime: runc\n"));
  rt::PodSandboxConfig c = PodConfig("before", "uid-before");
  (*c.mutable_annotations())["io.kubernetes.cri.untrusted-workload"] = "true";
  grpc::Status refused = Run(c, nullptr);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << refused.error_message();
  EXPECT_THAT(refused.error_message(), HasSubstr("no untrusted_runtime is configured"));

  const std::string dropins = d_->config_path() + ".d";
  std::filesystem::create_directories(dropins);
  std::filesystem::copy_file(std::string(BERTH_SOURCE_DIR) + "/config/berth.yaml.d/50-runsc.yaml",
                             dropins + "/50-runsc.yaml");
  std::ofstream(dropins + "/60-test.yaml") << "runtimes: {runsc: {root: " << RunscRoot() << "}}\n";
  StopDaemon();
  ASSERT_NO_FATAL_FAILURE(Restart());

  ExpectOnGvisor("containerd-untrusted", {{"io.kubernetes.cri.untrusted-workload", "true"}});
  ExpectOnHostKernel("plain", {});
  CleanUpAndExpectNoGvisorLeaks();
}

}  // namespace
}  // namespace berth::testing
