// Exec, Attach and PortForward into gVisor pods, as upstream crictl drives
// them: exec goes through `runsc exec` (on pipes and on a terminal, with the
// exit code, and killed inside the sandbox when its client goes away);
// attach reaches conmon's stdio, which the shim hands the container; and
// port-forward reaches the pod's loopback in gVisor's own network stack
// through berth-port-relay, run in the pod with `runsc exec`.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include "test/integration/runsc/runsc_env.h"

namespace berth::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr auto kSeconds30 = std::chrono::seconds(30);

TEST_F(GvisorTest, ExecOnPipesRunsInTheSandboxAndKeepsStreamsAndExitCode) {
  const std::string id = StartShell("exec-pipes", "exec sleep 1000");
  EXPECT_EQ(KernelOf(id), kGvisorKernel);
  std::string payload;
  for (int i = 0; i < 20000; ++i) payload += "line " + std::to_string(i) + "\n";
  process::RunResult cat = RunCrictlWithInput({"exec", "-i", id, "cat"}, payload);
  EXPECT_EQ(cat.exit_code, 0) << cat.err;
  EXPECT_TRUE(cat.out == payload) << "the bytes differ (" << cat.out.size() << " of "
                                  << payload.size() << ")";
  process::RunResult r =
      RunCrictlWithInput({"exec", id, "sh", "-c", "uname -r; echo err >&2; exit 3"}, "");
  EXPECT_THAT(r.err, HasSubstr("command terminated with exit code 3"));
  EXPECT_EQ(r.out, std::string(kGvisorKernel) + "\n") << r.err;
  EXPECT_THAT(r.err, HasSubstr("err\n"));
  CleanUpAndExpectNoGvisorLeaks();
}

TEST_F(GvisorTest, ExecWithTtyCarriesTheTerminalSizeAndTheExitCode) {
  const std::string id = StartShell("exec-tty", "exec sleep 1000");
  auto crictl = LiveProcess::OnPty(Crictl({"exec", "-it", id, "sh"}), 37, 91);
  ASSERT_TRUE(crictl->WaitForOutput("# ")) << "no shell prompt:\n" << crictl->Output();
  EXPECT_TRUE(ShellSeesTerminalSize(*crictl, "37 91")) << crictl->Output();
  crictl->Write("exit 7\n");
  std::optional<process::ExitStatus> st = crictl->WaitExit(kSeconds30);
  ASSERT_TRUE(st.has_value()) << "crictl still runs:\n" << crictl->Output();
  EXPECT_THAT(crictl->Output(), HasSubstr("command terminated with exit code 7"));
  CleanUpAndExpectNoGvisorLeaks();
}

// Killing `runsc exec` would leave the command running in the sandbox: berth
// kills it there, by its pid in the sandbox.
TEST_F(GvisorTest, ExecIsKilledInsideTheSandboxWhenTheClientGoesAway) {
  const std::string id = StartShell("exec-gone", "exec sleep 1000");
  ASSERT_NO_FATAL_FAILURE(ExpectExecEndsWhenItsClientIsKilled(id));
  CleanUpAndExpectNoGvisorLeaks();
}

TEST_F(GvisorTest, AttachFollowsOutputAndFeedsStdinOfAContainerInTheSandbox) {
  const std::string pod = RunPodOk("attach");
  rt::ContainerConfig c = Config("cat", {"cat"});
  c.set_stdin(true);
  c.set_stdin_once(true);
  const std::string id = CreateAndStartOk(pod, c);
  auto crictl = LiveProcess::OnPipes(Crictl({"attach", "-i", id}));
  ASSERT_TRUE(crictl->Write("hello-gvisor\n"));
  EXPECT_TRUE(crictl->WaitForOutput("hello-gvisor\n")) << crictl->Output();
  crictl->CloseInput();
  rt::ContainerStatus ended = WaitExited(id);
  EXPECT_EQ(ended.exit_code(), 0);
  std::optional<process::ExitStatus> done = crictl->WaitExit(kSeconds30);
  ASSERT_TRUE(done.has_value()) << "crictl attach still runs after the container ended";
  CleanUpAndExpectNoGvisorLeaks();
}

// The web server listens on the pod's 127.0.0.1 only, which exists in
// gVisor's netstack alone: the page comes through the relay, a closed port
// is refused on its own connection, and no relay outlives its connection.
TEST_F(GvisorTest, PortForwardReachesThePodsLoopbackInsideGvisor) {
  std::string pod;
  StartWebServer("pf", "127.0.0.1:8080", 8080, false, &pod);
  const int good = UnusedLoopbackPort();
  int closed = UnusedLoopbackPort();
  while (closed == good) closed = UnusedLoopbackPort();
  auto crictl = LiveProcess::OnPipes(
      Crictl({"port-forward", pod, std::to_string(good) + ":8080", std::to_string(closed) + ":9"}));
  ASSERT_TRUE(crictl->WaitForOutput("127.0.0.1:" + std::to_string(good) + " -> 8080"))
      << crictl->Output();
  ASSERT_TRUE(crictl->WaitForOutput("127.0.0.1:" + std::to_string(closed) + " -> 9"))
      << crictl->Output();
  for (int i = 0; i < 3; ++i) {
    ProcessResult page = CurlLoopback(good);
    EXPECT_EQ(page.exit_code, 0) << page.output << "\n" << d_->Log();
    EXPECT_EQ(page.output, "page-from-pod\n");
  }
  ProcessResult refused = CurlLoopback(closed);
  EXPECT_NE(refused.exit_code, 0) << refused.output;
  EXPECT_TRUE(
      crictl->WaitForOutput("error occurred forwarding " + std::to_string(closed) + " -> 9"))
      << crictl->Output();
  EXPECT_THAT(crictl->Output(), HasSubstr("port 9 of pod sandbox " + pod));
  EXPECT_THAT(crictl->Output(), HasSubstr("Connection refused"));
  crictl.reset();
  CleanUpAndExpectNoGvisorLeaks();
}

}  // namespace
}  // namespace berth::testing
