// Fault injection through a real berthd: a CNI chain whose last plugin fails
// after bridge and host-local did real work, a runtime that fails at create,
// one that hangs at create (conmon's create timeout), and the kubelet's retry
// of a RunPodSandbox that is still working. Every failure must name its
// cause, leave nothing behind, and free the pod's name.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <nlohmann/json.hpp>

#include "test/integration/sandbox/sandbox_env.h"

namespace berth::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

// A chained plugin that passes prevResult on: ADD prints it, DEL prints nothing.
constexpr char kPassThrough[] =
    "[ \"$CNI_COMMAND\" = ADD ] || { cat >/dev/null; exit 0; }\n"
    "exec /usr/bin/python3 -c 'import json,sys; c=json.load(sys.stdin); "
    "print(json.dumps(c[\"prevResult\"]))'";

class FaultTest : public SandboxFixture {
 protected:
  void SetUp() override {
    SandboxFixture::SetUp();
    plugins_ = tmp_.Sub("plugins");
    fs::create_directories(plugins_);
  }
  // The container ID a fake plugin saw (from its calls.log), "" if none.
  std::string IdFromCalls(const std::string& plugin, const std::string& command) {
    std::istringstream in(Slurp(plugins_ + "/calls.log"));
    for (std::string line; std::getline(in, line);) {
      std::string prefix = plugin + " " + command + " ";
      if (line.rfind(prefix, 0) == 0) return line.substr(prefix.size());
    }
    return "";
  }
  std::string plugins_;
};

TEST_F(FaultTest, FailingCniPluginAfterBridgeUndoesEverythingAndFreesTheName) {
  fs::copy_file(TestdataPath("cni/fake-fail"), plugins_ + "/fake-fail");
  // "flaky" fails (as fake-fail) while flaky.fail exists, else passes through.
  WriteScript(plugins_ + "/flaky", std::string("dir=$(dirname \"$0\")\n") +
                                       "[ -f \"$dir/flaky.fail\" ] && exec \"$dir/fake-fail\"\n" +
                                       kPassThrough);
  std::ofstream(plugins_ + "/flaky.fail").flush();
  TestNetwork net = MakeNetwork(tmp_.path(), {"flaky"});
  ASSERT_NO_FATAL_FAILURE(StartDaemon(RuncOnlyYaml(), {plugins_}, &net));

  rt::PodSandboxConfig pod = PodConfig("cnifail");
  pod.add_port_mappings()->set_container_port(80);
  pod.mutable_port_mappings(0)->set_host_port(31000 + static_cast<int>(getpid() % 1000));
  grpc::Status s = Run(pod, nullptr);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.error_message(), HasSubstr("fake failure: no luck")) << "the plugin's message";
  EXPECT_THAT(s.error_message(), HasSubstr("CNI ADD"));

  // bridge and host-local had allocated an address and a veth: all undone.
  std::string id = IdFromCalls("fake-fail", "ADD");
  ASSERT_EQ(id.size(), 64u) << Slurp(plugins_ + "/calls.log");
  EXPECT_EQ(IdFromCalls("fake-fail", "DEL"), id) << "the chain was deleted again";
  EXPECT_THAT(RunCommand({"/usr/sbin/iptables-save"}).output, ::testing::Not(HasSubstr(id)))
      << "portmap rules of the failed pod are left";
  EXPECT_TRUE(List().empty());
  ExpectNoLeaks({RuncRoot()});

  // The name is free again: the same pod comes up once the plugin works.
  fs::remove(plugins_ + "/flaky.fail");
  std::string ok_id;
  s = Run(pod, &ok_id);
  ASSERT_TRUE(s.ok()) << s.error_message() << "\n" << d_->Log();
  EXPECT_THAT(Status(ok_id).status().network().ip(), ::testing::StartsWith(net.subnet_prefix));
  ASSERT_TRUE(Remove(ok_id).ok());
  EXPECT_THAT(RunCommand({"/usr/sbin/iptables-save"}).output, ::testing::Not(HasSubstr(ok_id)));
  ExpectNoLeaks({RuncRoot()});
}

TEST_F(FaultTest, RuntimeFailingAtCreateLeavesNothingAndFreesTheName) {
  WriteScript(tmp_.Sub("failing"), "exec " + TestdataPath("runtimes/failing-runtime") + " \"$@\"");
  TestNetwork net = MakeNetwork(tmp_.path());
  ASSERT_NO_FATAL_FAILURE(StartDaemon(
      "runtimes: {runc: {path: " + std::string(kRunc) + ", root: " + RuncRoot() +
          "}, failing: {path: " + tmp_.Sub("failing") + ", root: " + tmp_.Sub("fail-root") + "}}\n",
      {}, &net));

  rt::PodSandboxConfig pod = PodConfig("rtfail");
  grpc::Status s = Run(pod, nullptr, "failing");
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.error_message(), HasSubstr("failing-runtime: refusing to create on purpose"));
  EXPECT_TRUE(List().empty());
  ExpectNoLeaks({RuncRoot(), tmp_.Sub("fail-root")});

  std::string id;
  s = Run(pod, &id, "runc");
  ASSERT_TRUE(s.ok()) << "the name must be free again: " << s.error_message();
  ASSERT_TRUE(Remove(id).ok());
  ExpectNoLeaks({RuncRoot(), tmp_.Sub("fail-root")});
}

// The hanging runtime blocks until runtime_create_timeout (5 s here). While it
// hangs, the kubelet's retry is told the pod is still being created and at
// which stage, and List/Status answer at once.
TEST_F(FaultTest, HangingRuntimeTimesOutNamingTheCauseAndLeavesNothing) {
  ASSERT_NO_FATAL_FAILURE(StartDaemonWithHangingRuntime("5s"));

  rt::PodSandboxConfig pod = PodConfig("rthang");
  auto first = std::async(std::launch::async, [&] {
    std::string id;
    grpc::Status s = Run(pod, &id, "hanging", std::chrono::seconds(150));
    return s;
  });
  const pid_t hung = WaitForHungCreate();
  ASSERT_GT(hung, 0);

  // The retry is answered at once, naming the stage.
  auto t0 = std::chrono::steady_clock::now();
  grpc::Status retry = Run(pod, nullptr, "hanging", std::chrono::seconds(10));
  EXPECT_EQ(retry.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_THAT(retry.error_message(), HasSubstr("still being created"));
  EXPECT_THAT(retry.error_message(), HasSubstr("creating infra container"));
  EXPECT_TRUE(List().empty()) << "a pod being created is not listed yet";
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));

  grpc::Status s = first.get();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("did not finish within"));
  EXPECT_THAT(s.error_message(), HasSubstr("hanging create"));
  // The hung runtime process is gone too (dead or at most an unreaped zombie).
  EXPECT_TRUE(WaitFor(
      [&] {
        std::string st = Slurp("/proc/" + std::to_string(hung) + "/status");
        return st.empty() || st.find("State:\tZ") != std::string::npos;
      },
      std::chrono::seconds(10)))
      << "runtime create process " << hung << " still runs";
  EXPECT_TRUE(List().empty());
  ExpectNoLeaks({RuncRoot(), HangingRoot()});

  std::string id;
  s = Run(pod, &id, "runc");
  ASSERT_TRUE(s.ok()) << "the name must be free again: " << s.error_message();
  ASSERT_TRUE(Remove(id).ok());
  ExpectNoLeaks({RuncRoot(), HangingRoot()});
}

// The kubelet retries while the first call is held in a slow CNI plugin: the
// retry learns the stage; once the first finishes the retry gets its ID.
TEST_F(FaultTest, RetryWhileCreatingIsToldTheStageThenGetsTheSameId) {
  // The gate is a FIFO: ADD opens it (read-write, which never blocks) before
  // it says it waits, then blocks reading one byte until the test writes it,
  // for at most 60 s.
  const std::string gate = plugins_ + "/gate.fifo";
  ASSERT_EQ(mkfifo(gate.c_str(), 0600), 0) << gate << ": " << strerror(errno);
  WriteScript(plugins_ + "/gate", std::string("dir=$(dirname \"$0\")\n") +
                                      "if [ \"$CNI_COMMAND\" = ADD ]; then\n"
                                      "  exec 3<>\"$dir/gate.fifo\"\n"
                                      "  touch \"$dir/gate.waiting\"\n"
                                      "  /usr/bin/timeout 60 /usr/bin/head -c1 <&3 >/dev/null\n"
                                      "  exec 3<&-\n"
                                      "fi\n" +
                                      kPassThrough);
  TestNetwork net = MakeNetwork(tmp_.path(), {"gate"});
  ASSERT_NO_FATAL_FAILURE(StartDaemon(RuncOnlyYaml(), {plugins_}, &net));

  rt::PodSandboxConfig pod = PodConfig("slow");
  auto first = std::async(std::launch::async, [&] {
    std::string id;
    grpc::Status s = Run(pod, &id);
    return std::make_pair(s, id);
  });
  ASSERT_TRUE(
      WaitFor([&] { return fs::exists(plugins_ + "/gate.waiting"); }, std::chrono::seconds(30)))
      << d_->Log();
  grpc::Status retry = Run(pod, nullptr, "", std::chrono::seconds(10));
  EXPECT_EQ(retry.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_THAT(retry.error_message(), HasSubstr("still being created"));
  EXPECT_THAT(retry.error_message(), HasSubstr("setting up pod network"));

  // Non-blocking: with no plugin holding the gate open this fails rather
  // than hangs.
  const int gate_fd = open(gate.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  ASSERT_GE(gate_fd, 0) << "no CNI ADD is waiting at the gate: " << strerror(errno);
  EXPECT_EQ(write(gate_fd, "o", 1), 1) << strerror(errno);
  close(gate_fd);
  auto [s, id] = first.get();
  ASSERT_TRUE(s.ok()) << s.error_message() << "\n" << d_->Log();
  std::string again;
  grpc::Status s2 = Run(pod, &again);
  ASSERT_TRUE(s2.ok()) << s2.error_message();
  EXPECT_EQ(again, id) << "the retry returns the sandbox the first call made";
  EXPECT_EQ(List().size(), 1u) << "nothing was created twice";
  ASSERT_TRUE(Remove(id).ok());
  ExpectNoLeaks({RuncRoot()});
}

}  // namespace
}  // namespace berth::testing
