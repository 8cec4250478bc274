// Runtime routing through a real berthd: two runtime entries, runc itself and
// test/testdata/runtimes/recording-runtime (logs each call, then execs runc),
// each with its own state root. For every rule of the routing table the test
// proves which binary created the pod twice over: the recorder's log names
// the pod's ID or not, and the container exists in exactly one runtime root.
// Pods use the host network: routing happens before CNI and does not need it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "test/integration/sandbox/sandbox_env.h"

namespace berth::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

struct Row {
  const char* what;
  std::string handler;
  bool privileged;
  std::map<std::string, std::string> annotations;
  std::string runtime;  // expected: "runc" or "recorder"
  std::string trust;
  std::string reason;  // a substring of the recorded reason
};

class RoutingTest : public SandboxFixture {
 protected:
  // `routing` is the YAML after the runtimes: block (trusted_runtime, ...).
  void StartWith(const std::string& routing) {
    recorder_log_ = tmp_.Sub("recorder.log");
    std::ofstream(recorder_log_).flush();
    WriteScript(tmp_.Sub("recorder"), "BERTH_TEST_RUNTIME_LOG=" + recorder_log_ + " exec " +
                                          TestdataPath("runtimes/recording-runtime") + " \"$@\"");
    std::string yaml =
        std::string("runtimes:\n") + "  runc: {path: " + kRunc + ", root: " + RuncRoot() +
        ", type: oci}\n" + "  recorder: {path: " + tmp_.Sub("recorder") + ", root: " + RecRoot() +
        ", type: oci, allowed_annotations: [\"io.berth.test.*\"]}\n" + "  kata: {path: " + kRunc +
        ", root: " + tmp_.Sub("kata-root") + ", type: vm}\n" + "default_runtime: runc\n" + routing;
    ASSERT_NO_FATAL_FAILURE(StartDaemon(yaml));
  }
  std::string RecRoot() const { return tmp_.Sub("rec-root"); }

  // Which runtime created pod `id`: both proofs must agree.
  std::string RanOn(const std::string& id) {
    bool logged = Slurp(recorder_log_).find("create") != std::string::npos &&
                  Slurp(recorder_log_).find(id) != std::string::npos;
    bool in_rec = RunCommand({kRunc, "--root", RecRoot(), "state", id}).exit_code == 0;
    bool in_runc = RunCommand({kRunc, "--root", RuncRoot(), "state", id}).exit_code == 0;
    if (logged && in_rec && !in_runc) return "recorder";
    if (!logged && !in_rec && in_runc) return "runc";
    return "inconsistent: logged=" + std::to_string(logged) +
           " rec-root=" + std::to_string(in_rec) + " runc-root=" + std::to_string(in_runc);
  }

  rt::PodSandboxConfig RowPod(const Row& row, int n) {
    rt::PodSandboxConfig c = PodConfig("route" + std::to_string(n), "u" + std::to_string(n));
    SetHostNetwork(&c);
    c.mutable_linux()->mutable_security_context()->set_privileged(row.privileged);
    for (const auto& [k, v] : row.annotations) (*c.mutable_annotations())[k] = v;
    return c;
  }

  void ExpectRows(const std::vector<Row>& rows) {
    int n = 0;
    for (const Row& row : rows) {
      SCOPED_TRACE(row.what);
      std::string id;
      grpc::Status s = Run(RowPod(row, n++), &id, row.handler);
      ASSERT_TRUE(s.ok()) << s.error_message() << "\n" << d_->Log();
      EXPECT_EQ(RanOn(id), row.runtime);
      auto st = Status(id, true);
      EXPECT_EQ(st.status().runtime_handler(), row.runtime);
      auto info = nlohmann::json::parse(st.info().at("info"));
      EXPECT_EQ(info["runtime"]["name"], row.runtime);
      EXPECT_EQ(info["runtime"]["trust"], row.trust);
      EXPECT_THAT(info["runtime"]["reason"].get<std::string>(), HasSubstr(row.reason));
      ASSERT_TRUE(Remove(id).ok());
    }
  }

  std::string recorder_log_;
};

constexpr char kCrio[] = "io.kubernetes.cri-o.TrustedSandbox";
constexpr char kBerth[] = "io.berth.trusted-sandbox";
constexpr char kContainerd[] = "io.kubernetes.cri.untrusted-workload";

TEST_F(RoutingTest, EveryRuleOfTheTableRunsTheExpectedBinary) {
  ASSERT_NO_FATAL_FAILURE(
      StartWith("trusted_runtime: runc\nuntrusted_runtime: recorder\n"
                "default_workload_trust: trusted\n"));
  // clang-format off
  ExpectRows({
      {"handler names the untrusted slot", "recorder", false, {}, "recorder", "untrusted",
       "runtime handler recorder"},
      {"handler beats an untrusted annotation", "runc", false, {{kCrio, "false"}}, "runc",
       "trusted", "runtime handler runc"},
      {"privileged beats an untrusted annotation", "", true, {{kCrio, "false"}}, "runc",
       "trusted", "privileged"},
      {"cri-o annotation false", "", false, {{kCrio, "false"}}, "recorder", "untrusted",
       "io.kubernetes.cri-o.TrustedSandbox=false"},
      {"cri-o annotation true", "", false, {{kCrio, "true"}}, "runc", "trusted",
       "io.kubernetes.cri-o.TrustedSandbox=true"},
      {"berth annotation false", "", false, {{kBerth, "false"}}, "recorder", "untrusted",
       "io.berth.trusted-sandbox=false"},
      {"berth annotation true", "", false, {{kBerth, "true"}}, "runc", "trusted",
       "io.berth.trusted-sandbox=true"},
      {"containerd untrusted-workload true", "", false, {{kContainerd, "true"}}, "recorder",
       "untrusted", "io.kubernetes.cri.untrusted-workload=true"},
      {"containerd untrusted-workload false is no opinion", "", false, {{kContainerd, "false"}},
       "runc", "trusted", "default_workload_trust=trusted"},
      {"no annotation: default trust", "", false, {}, "runc", "trusted",
       "default_workload_trust=trusted"},
  });
  // clang-format on
  EXPECT_THAT(d_->Log(), HasSubstr("runtime recorder (untrusted,"));  // the choice is logged
  ExpectNoLeaks({RuncRoot(), RecRoot()});
}

TEST_F(RoutingTest, TrustAnnotationWithAnotherValueIsInvalidArgument) {
  ASSERT_NO_FATAL_FAILURE(StartWith("trusted_runtime: runc\nuntrusted_runtime: recorder\n"));
  for (const char* key : {kCrio, kBerth}) {
    Row row{"bad", "", false, {{key, "yes"}}, "", "", ""};
    grpc::Status s = Run(RowPod(row, 0), nullptr);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << key;
    EXPECT_THAT(s.error_message(), HasSubstr(key));
    EXPECT_THAT(s.error_message(), HasSubstr("yes"));
  }
  EXPECT_TRUE(List().empty());
  EXPECT_THAT(Slurp(recorder_log_), ::testing::Not(HasSubstr("create")))
      << "no runtime may run for a refused pod";
  ExpectNoLeaks({RuncRoot(), RecRoot()});
}

TEST_F(RoutingTest, DefaultWorkloadTrustUntrustedRoutesUnannotatedPodsToTheUntrustedRuntime) {
  ASSERT_NO_FATAL_FAILURE(
      StartWith("trusted_runtime: runc\nuntrusted_runtime: recorder\n"
                "default_workload_trust: untrusted\n"));
  // clang-format off
  ExpectRows({
      {"no annotation", "", false, {}, "recorder", "untrusted", "default_workload_trust=untrusted"},
      {"explicitly trusted", "", false, {{kCrio, "true"}}, "runc", "trusted",
       "io.kubernetes.cri-o.TrustedSandbox=true"},
      {"privileged", "", true, {}, "runc", "trusted", "privileged"},
  });
  // clang-format on
  ExpectNoLeaks({RuncRoot(), RecRoot()});
}

TEST_F(RoutingTest, UntrustedPodWithoutUntrustedRuntimeIsRefusedNamingThePod) {
  ASSERT_NO_FATAL_FAILURE(StartWith("trusted_runtime: runc\nuntrusted_runtime: \"\"\n"));
  Row row{"untrusted", "", false, {{kContainerd, "true"}}, "", "", ""};
  rt::PodSandboxConfig pod = RowPod(row, 7);
  grpc::Status s = Run(pod, nullptr);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("default/route7"));
  EXPECT_THAT(s.error_message(), HasSubstr("untrusted_runtime"));
  EXPECT_TRUE(List().empty());
  // A RuntimeClass handler still works, with the trust of no slot: trusted.
  // clang-format off
  ExpectRows({{"handler recorder", "recorder", false, {}, "recorder", "trusted",
               "runtime handler recorder"}});
  // clang-format on
  ExpectNoLeaks({RuncRoot(), RecRoot()});
}

TEST_F(RoutingTest, UntrustedFallbackToTrustedRunsTheTrustedRuntime) {
  ASSERT_NO_FATAL_FAILURE(
      StartWith("trusted_runtime: runc\nuntrusted_runtime: \"\"\n"
                "untrusted_fallback_to_trusted: true\n"));
  // clang-format off
  ExpectRows({{"untrusted falls back", "", false, {{kBerth, "false"}}, "runc", "trusted",
               "fell back to the trusted runtime"}});
  // clang-format on
  ExpectNoLeaks({RuncRoot(), RecRoot()});
}

TEST_F(RoutingTest, TrustedRuntimeCanBeTheWrapper) {
  ASSERT_NO_FATAL_FAILURE(StartWith("trusted_runtime: recorder\nuntrusted_runtime: runc\n"));
  // clang-format off
  ExpectRows({{"default trusted", "", false, {}, "recorder", "trusted", "default_workload_trust"},
              {"untrusted", "", false, {{kCrio, "false"}}, "runc", "untrusted", "TrustedSandbox"}});
  // clang-format on
  ExpectNoLeaks({RuncRoot(), RecRoot()});
}

// Runtime type "vm" passes config load (it is a known, reserved type) and is
// refused when a pod is routed to it.
TEST_F(RoutingTest, VmRuntimeIsRefusedWhenRoutedTo) {
  ASSERT_NO_FATAL_FAILURE(StartWith("trusted_runtime: runc\nuntrusted_runtime: recorder\n"));
  Row row{"vm", "kata", false, {}, "", "", ""};
  grpc::Status s = Run(RowPod(row, 0), nullptr, "kata");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNIMPLEMENTED) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("\"kata\""));
  EXPECT_THAT(s.error_message(), HasSubstr("type vm is not supported"));
  EXPECT_TRUE(List().empty());
  ExpectNoLeaks({RuncRoot(), RecRoot(), tmp_.Sub("kata-root")});
}

// forbid_trusted_opt_out (issue 15 item 9): with default_workload_trust
// untrusted, a pod's own "trusted" annotation is refused, naming it, and no
// pod is made; the operator's ways to the trusted runtime still work.
TEST_F(RoutingTest, ForbidTrustedOptOutRefusesATrustedAnnotation) {
  ASSERT_NO_FATAL_FAILURE(
      StartWith("trusted_runtime: runc\nuntrusted_runtime: recorder\n"
                "default_workload_trust: untrusted\n"
                "forbid_trusted_opt_out: true\n"));
  int n = 0;
  for (const char* key : {kCrio, kBerth}) {
    SCOPED_TRACE(key);
    Row row{"opts out", "", false, {{key, "true"}}, "", "", ""};
    grpc::Status s = Run(RowPod(row, n++), nullptr);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
    EXPECT_THAT(s.error_message(), HasSubstr(std::string(key) + "=true"));
    EXPECT_THAT(s.error_message(), HasSubstr("forbid_trusted_opt_out"));
    EXPECT_TRUE(List().empty());
  }
  // clang-format off
  ExpectRows({{"no annotation: untrusted", "", false, {}, "recorder", "untrusted",
               "default_workload_trust=untrusted"},
              {"annotation false", "", false, {{kCrio, "false"}}, "recorder", "untrusted",
               "TrustedSandbox=false"},
              {"handler runc", "runc", false, {{kCrio, "true"}}, "runc", "trusted",
               "runtime handler runc"},
              {"privileged", "", true, {{kCrio, "true"}}, "runc", "trusted", "privileged"}});
  // clang-format on
  ExpectNoLeaks({RuncRoot(), RecRoot()});
}

// Without the key (its default, false) the same pod opts out as before.
TEST_F(RoutingTest, WithoutForbidTrustedOptOutATrustedAnnotationRunsTrusted) {
  ASSERT_NO_FATAL_FAILURE(
      StartWith("trusted_runtime: runc\nuntrusted_runtime: recorder\n"
                "default_workload_trust: untrusted\n"
                "forbid_trusted_opt_out: false\n"));
  // clang-format off
  ExpectRows({{"cri-o annotation true", "", false, {{kCrio, "true"}}, "runc", "trusted",
               "io.kubernetes.cri-o.TrustedSandbox=true"},
              {"berth annotation true", "", false, {{kBerth, "true"}}, "runc", "trusted",
               "io.berth.trusted-sandbox=true"},
              {"no annotation", "", false, {}, "recorder", "untrusted",
               "default_workload_trust=untrusted"}});
  // clang-format on
  ExpectNoLeaks({RuncRoot(), RecRoot()});
}

// io.berth.* annotations (other than the trust one) reach config.json only
// for a runtime whose allowed_annotations lists them; others pass through.
TEST_F(RoutingTest, BerthAnnotationsReachOnlyRuntimesThatAllowThem) {
  ASSERT_NO_FATAL_FAILURE(StartWith("trusted_runtime: runc\nuntrusted_runtime: recorder\n"));
  int n = 0;
  for (const std::string handler : {"recorder", "runc"}) {
    SCOPED_TRACE(handler);
    Row row{"annotated", handler,
            false,       {{"io.berth.test.flag", "on"}, {"io.berth.other", "x"}, {"plain", "y"}},
            "",          "",
            ""};
    std::string id;
    ASSERT_TRUE(Run(RowPod(row, n++), &id, handler).ok()) << d_->Log();
    auto spec = nlohmann::json::parse(Slurp(Root() + "/sandboxes/" + id + "/config.json"));
    const auto& a = spec["annotations"];
    EXPECT_EQ(a.contains("io.berth.test.flag"), handler == "recorder");
    EXPECT_FALSE(a.contains("io.berth.other"));
    EXPECT_EQ(a.value("plain", ""), "y");
    EXPECT_THAT(d_->Log(), HasSubstr("annotation io.berth.other ignored: runtime " + handler));
    ASSERT_TRUE(Remove(id).ok());
  }
  ExpectNoLeaks({RuncRoot(), RecRoot()});
}

}  // namespace
}  // namespace berth::testing
