// Pods and containers under gVisor (Debian's runsc) through a real berthd,
// conmon and berth-gvisor-shim: the lifecycle as the kubelet drives it,
// logs, exit codes, ExecSync, what berth refuses on gVisor's behalf, what
// Status reports, and the pod network (gVisor's netstack owns the pod's IP,
// which the host reaches directly and through a hostPort).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "test/integration/runsc/runsc_env.h"

namespace berth::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// Exits with `code` on SIGTERM, after saying so on stdout.
constexpr char kTermScript[] =
    "echo to-stdout; echo to-stderr >&2; "
    "trap 'echo got-term; exit 7' TERM; while true; do sleep 0.1; done";

TEST_F(GvisorTest, ContainerLifecycleRunsInsideThePodsSandboxThroughConmon) {
  const std::string pod = RunPodOk("life");
  ASSERT_FALSE(pod.empty());
  EXPECT_EQ(RunscStatus(pod), "running");
  EXPECT_EQ(Status(pod).status().runtime_handler(), "runsc");

  const std::string id = CreateOk(pod, Config("worker", {"/bin/sh", "-c", kTermScript}));
  EXPECT_EQ(RunscStatus(id), "created");
  ASSERT_TRUE(Start(id).ok());
  EXPECT_EQ(RunscStatus(id), "running");
  EXPECT_EQ(KernelOf(id), kGvisorKernel);
  // One sandbox for the pod: the container is a process of the pod's
  // gVisor kernel (same sandbox pid in runsc's state), not a sandbox of its own.
  ProcessResult pod_state = RunCommand({kRunsc, "--root", RunscRoot(), "state", pod});
  ProcessResult ctr_state = RunCommand({kRunsc, "--root", RunscRoot(), "state", id});
  auto pid_of = [](const std::string& json) {
    return nlohmann::json::parse(json)["pid"].get<int>();
  };
  EXPECT_EQ(pid_of(pod_state.output), pid_of(ctr_state.output));

  // conmon writes the container's stdout and stderr to the CRI log.
  const std::string log = LogDir() + "/worker.log";
  ASSERT_TRUE(WaitFor([&] { return Slurp(log).find("to-stderr") != std::string::npos; },
                      std::chrono::seconds(30)))
      << Slurp(log);
  EXPECT_THAT(Slurp(log), HasSubstr(" stdout F to-stdout\n"));
  EXPECT_THAT(Slurp(log), HasSubstr(" stderr F to-stderr\n"));

  // Stop: SIGTERM reaches the process inside gVisor; conmon records its code.
  ASSERT_TRUE(StopContainer(id, 10).ok());
  rt::ContainerStatusResponse st;
  ASSERT_TRUE(ContainerStatus(id, &st).ok());
  EXPECT_EQ(st.status().state(), rt::CONTAINER_EXITED);
  EXPECT_EQ(st.status().exit_code(), 7);
  EXPECT_THAT(Slurp(log), HasSubstr(" stdout F got-term\n"));
  ASSERT_TRUE(RemoveContainer(id).ok());
  // The runtime's delete runs after RemoveContainer's answer.
  ASSERT_TRUE(d_->WaitRemovalsFinished()) << "the removal did not finish after its answer";
  EXPECT_EQ(RunscStatus(id), "gone");
  CleanUpAndExpectNoGvisorLeaks();
}

TEST_F(GvisorTest, ExitCodesOfContainersThatEndByThemselves) {
  const std::string pod = RunPodOk("exits");
  struct Case {
    const char* name;
    const char* script;
    int code;
    const char* reason;
  };
  for (const Case& c : {Case{"three", "exit 3", 3, "Error"}, Case{"zero", "true", 0, "Completed"},
                        Case{"killed", "kill -9 $$", 137, "Error"}}) {
    SCOPED_TRACE(c.name);
    const std::string id = CreateAndStartOk(pod, Config(c.name, {"/bin/sh", "-c", c.script}));
    rt::ContainerStatus st = WaitExited(id);
    EXPECT_EQ(st.exit_code(), c.code);
    EXPECT_EQ(st.reason(), c.reason);
    EXPECT_GE(st.finished_at(), st.started_at());
  }
  CleanUpAndExpectNoGvisorLeaks();
}

// namespace_options.pid POD: every container of the pod sees the others and
// the pod's infra process as pid 1, and a container that ends takes nothing
// with it (gVisor's PID namespaces named by path die with their first owner).
TEST_F(GvisorTest, PodPidNamespaceIsTheSandboxsAndOutlivesItsContainers) {
  const std::string pod = RunPodOk("pidns");
  const std::string marker = "sleep " + std::to_string(4000 + getpid() % 50000);
  rt::ContainerConfig first = Config("first", {"/bin/sh", "-c", "exec " + marker});
  first.mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_pid(rt::POD);
  const std::string a = CreateAndStartOk(pod, first);
  rt::ContainerConfig second = Config("second", {"/bin/sh", "-c", "exec sleep 1000"});
  second.mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_pid(rt::POD);
  const std::string b = CreateAndStartOk(pod, second);
  std::string ps = ProcessList(b);
  EXPECT_THAT(ps, HasSubstr("\n    1 /pause\n")) << ps;
  EXPECT_THAT(ps, HasSubstr(marker)) << ps;
  ASSERT_TRUE(StopContainer(a, 0).ok());
  WaitExited(a);
  rt::ContainerConfig third = Config("third", {"/bin/sh", "-c", "exec sleep 1000"});
  third.mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_pid(rt::POD);
  const std::string c = CreateAndStartOk(pod, third);
  EXPECT_THAT(ProcessList(c), HasSubstr("\n    1 /pause\n"));
  // CONTAINER: a namespace of its own, where its command is pid 1.
  rt::ContainerConfig own = Config("own", {"/bin/sh", "-c", "exec sleep 1000"});
  own.mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_pid(
      rt::CONTAINER);
  EXPECT_THAT(ProcessList(CreateAndStartOk(pod, own)), HasSubstr("\n    1 sleep 1000\n"));
  CleanUpAndExpectNoGvisorLeaks();
}

TEST_F(GvisorTest, ExecSyncCarriesOutputAndExitCodeAndATimeoutKillsTheCommandInTheSandbox) {
  const std::string id = StartShell("exec", "exec sleep 1000");
  rt::ExecSyncResponse out;
  ASSERT_TRUE(Exec(id, {"/bin/sh", "-c", "echo out; echo err >&2; exit 4"}, &out).ok());
  EXPECT_EQ(out.stdout(), "out\n");
  EXPECT_EQ(out.stderr(), "err\n");
  EXPECT_EQ(out.exit_code(), 4);

  // runsc exec's own pid is not the command's: killing it would leave the
  // command running inside gVisor.
  const std::string marker = "sleep " + std::to_string(3000 + getpid() % 50000);
  rt::ExecSyncRequest req;
  req.set_container_id(id);
  for (const char* a : {"/bin/sh", "-c"}) req.add_cmd(a);
  req.add_cmd("exec " + marker);
  req.set_timeout(2);
  rt::ExecSyncResponse timed_out;
  grpc::Status s = d_->runtime().ExecSync(Ctx().get(), req, &timed_out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << s.error_message();
  EXPECT_TRUE(WaitFor([&] { return ProcessList(id).find(marker) == std::string::npos; },
                      std::chrono::seconds(10)))
      << "the timed-out command still runs:\n"
      << ProcessList(id);
  CleanUpAndExpectNoGvisorLeaks();
}

TEST_F(GvisorTest, UpdateContainerResourcesIsRefusedSayingWhy) {
  const std::string id = StartShell("update", "exec sleep 1000");
  rt::UpdateContainerResourcesRequest req;
  req.set_container_id(id);
  req.mutable_linux()->set_cpu_shares(512);
  rt::UpdateContainerResourcesResponse resp;
  grpc::Status s = d_->runtime().UpdateContainerResources(Ctx().get(), req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNIMPLEMENTED) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("runsc has no update command"));
  CleanUpAndExpectNoGvisorLeaks();
}

TEST_F(GvisorTest, StatusListsTheRunscHandlerWithWhatWasProbed) {
  rt::StatusRequest req;
  req.set_verbose(true);
  rt::StatusResponse resp;
  ASSERT_TRUE(d_->runtime().Status(Ctx().get(), req, &resp).ok());
  const rt::RuntimeHandler* runsc = nullptr;
  for (const auto& h : resp.runtime_handlers()) {
    if (h.name() == "runsc") runsc = &h;
  }
  ASSERT_NE(runsc, nullptr) << resp.DebugString();
  // runsc has no `features` command: it claims nothing.
  EXPECT_FALSE(runsc->features().recursive_read_only_mounts());
  EXPECT_FALSE(runsc->features().user_namespaces());
  nlohmann::json node = nlohmann::json::parse(resp.info().at("node"));
  EXPECT_EQ(node["runtimes"]["runsc"]["kind"], "gvisor");
  EXPECT_THAT(node["runtimes"]["runsc"]["version"].get<std::string>(), HasSubstr("runsc version"));
  EXPECT_EQ(node["runtimes"]["runsc"]["features_reported"], false);
  EXPECT_EQ(node["runtimes"]["runc"]["kind"], "runc-compatible");
  EXPECT_EQ(node["runtimes"]["runc"]["features_reported"], true);
}

TEST_F(GvisorTest, HostNetworkPodIsRefusedNamingTheReasonAndLeavesNothing) {
  rt::PodSandboxConfig c = PodConfig("hostnet", "uid-hostnet");
  SetHostNetwork(&c);
  grpc::Status s = Run(c, nullptr);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("shares the host's network namespace"));
  EXPECT_THAT(s.error_message(), HasSubstr("runtime \"runsc\" (gVisor)"));
  EXPECT_THAT(s.error_message(), HasSubstr("default_workload_trust=untrusted"));
  EXPECT_TRUE(List().empty());
  ExpectNoGvisorLeaks();
}

TEST_F(GvisorTest, GvisorsNetstackOwnsThePodIpWhichTheHostReachesDirectlyAndThroughAHostPort) {
  rt::PodSandboxConfig c = PodConfig("web", "uid-web");
  c.set_log_directory(LogDir());
  const int host_port = UnusedLoopbackPort();
  rt::PortMapping* pm = c.add_port_mappings();
  pm->set_protocol(rt::TCP);
  pm->set_container_port(8080);
  pm->set_host_port(host_port);
  pm->set_host_ip("127.0.0.1");
  std::string pod;
  ASSERT_TRUE(Run(c, &pod).ok()) << d_->Log();
  const std::string id = CreateAndStartOk(
      pod, Config("httpd", {"/bin/sh", "-c",
                            "mkdir -p /w && echo page-from-gvisor > /w/index.html && "
                            "exec httpd -f -p 8080 -h /w"}));
  const std::string ip = Status(pod).status().network().ip();
  ASSERT_THAT(ip, ::testing::StartsWith(net_.subnet_prefix));

  // Inside: gVisor's own network stack holds the address.
  rt::ExecSyncResponse addr;
  ASSERT_TRUE(Exec(id, {"ip", "-4", "addr"}, &addr).ok());
  EXPECT_THAT(addr.stdout(), HasSubstr("inet " + ip + "/24")) << addr.stdout();
  // The pod's network namespace on the host kept the interface but not the
  // address: packets for it go to gVisor, not to the host's kernel.
  ProcessResult host_side = RunCommand({"/usr/bin/nsenter", "--net=" + RunRoot() + "/ns/net/" + pod,
                                        "/usr/sbin/ip", "-4", "-o", "addr"});
  EXPECT_EQ(host_side.exit_code, 0) << host_side.output;
  EXPECT_THAT(host_side.output, Not(HasSubstr(ip))) << host_side.output;

  // From the host: the pod IP over the test bridge, and the hostPort.
  ProcessResult direct;
  EXPECT_TRUE(WaitFor(
      [&] {
        direct = RunCommand({"/usr/bin/curl", "-sS", "--max-time", "5", "http://" + ip + ":8080/"});
        return direct.output == "page-from-gvisor\n";
      },
      std::chrono::seconds(30)))
      << direct.output;
  ProcessResult via_host_port = CurlLoopback(host_port);
  EXPECT_EQ(via_host_port.output, "page-from-gvisor\n");
  CleanUpAndExpectNoGvisorLeaks();
}

// berth runs runsc with --oci-seccomp: a Localhost profile that denies
// mkdir is enforced on the workload inside the sandbox (without the flag
// runsc drops it), and a container without one is not affected.
TEST_F(GvisorTest, SeccompProfileOfAContainerIsEnforcedInsideTheSandbox) {
  const std::string pod = RunPodOk("seccomp");
  auto run = [&](const std::string& name, bool deny_mkdir) {
    rt::ContainerConfig c =
        Config(name, {"/bin/sh", "-c", "mkdir /tmp/d && echo made || echo denied"});
    if (deny_mkdir) {
      auto* p = c.mutable_linux()->mutable_security_context()->mutable_seccomp();
      p->set_profile_type(rt::SecurityProfile::Localhost);
      p->set_localhost_ref(std::string(BERTH_SOURCE_DIR) +
                           "/test/testdata/seccomp/deny-mkdir.json");
    }
    const std::string id = CreateAndStartOk(pod, c);
    WaitExited(id);
    return Slurp(LogDir() + "/" + name + ".log");
  };
  EXPECT_THAT(run("confined", true), HasSubstr(" stdout F denied\n"));
  EXPECT_THAT(run("free", false), HasSubstr(" stdout F made\n"));
  CleanUpAndExpectNoGvisorLeaks();
}

}  // namespace
}  // namespace berth::testing
