// Exec, Attach and PortForward as upstream crictl drives them (CRI call,
// then SPDY/3.1 to the URL berthd returns) against a real berthd on runc,
// conmon and a CNI bridge: bytes through exec on pipes and on a terminal,
// exit codes, terminal sizes, a client that vanishes mid-exec, attach to
// running output and to stdin, port-forward into a pod's namespace and the
// host's, and the streaming server across a berthd restart.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>

#include "test/integration/streaming/streaming_env.h"

namespace berth::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr auto kSeconds30 = std::chrono::seconds(30);

// 1 MiB holding every byte value, in an order that repeats rarely.
std::string BinaryPayload() {
  std::string s(1 << 20, '\0');
  uint32_t x = 2463534242u;
  for (char& c : s) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<char>(x & 0xff);
  }
  return s;
}

// Whether a listening socket can be bound to 127.0.0.1:port now (as berthd
// binds it: SO_REUSEADDR, so connections in TIME_WAIT do not count).
bool CanListenOnLoopback(int port) {
  ScopedFd s(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  int one = 1;
  setsockopt(s.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return bind(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 && listen(s.get(), 1) == 0;
}

TEST_F(StreamingTest, ExecOnPipesCopiesStdinBackUnchanged) {
  const std::string id = StartShell("exec-pipes", "exec sleep 1000");
  const std::string payload = BinaryPayload();
  process::RunResult r = RunCrictlWithInput({"exec", "-i", id, "cat"}, payload);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.size(), payload.size()) << r.err;
  EXPECT_TRUE(r.out == payload) << "the bytes differ";
  CleanUpAndExpectNoLeaks();
}

// crictl v1.26.1 exits 1 on any failed exec (logrus.Fatal) but names the
// exit code that came in berthd's status; the code itself is checked on the
// wire in streaming_session_test.cc.
TEST_F(StreamingTest, ExecKeepsStdoutAndStderrApartAndReportsTheCommandsExitCode) {
  const std::string id = StartShell("exec-code", "exec sleep 1000");
  process::RunResult r =
      RunCrictlWithInput({"exec", id, "sh", "-c", "echo out; echo err >&2; exit 3"}, "");
  EXPECT_NE(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("command terminated with exit code 3"));
  EXPECT_EQ(r.out, "out\n") << r.err;
  EXPECT_THAT(r.err, HasSubstr("err\n"));
  EXPECT_THAT(r.err, Not(HasSubstr("out")));
  process::RunResult ok = RunCrictlWithInput({"exec", id, "true"}, "");
  EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
  CleanUpAndExpectNoLeaks();
}

// crictl -it on a pty of ours: its terminal's size reaches the shell in the
// container, a resize of it too, and `exit 7` reaches crictl (which, being
// v1.26.1, exits 1 saying so).
TEST_F(StreamingTest, ExecWithTtyCarriesTerminalSizesAndTheExitCode) {
  const std::string id = StartShell("exec-tty", "exec sleep 1000");
  auto crictl = LiveProcess::OnPty(Crictl({"exec", "-it", id, "sh"}), 37, 91);
  ASSERT_TRUE(crictl->WaitForOutput("# ")) << "no shell prompt:\n" << crictl->Output();
  EXPECT_TRUE(ShellSeesTerminalSize(*crictl, "37 91")) << crictl->Output();
  crictl->Resize(50, 120);
  EXPECT_TRUE(ShellSeesTerminalSize(*crictl, "50 120")) << crictl->Output();
  crictl->Write("exit 7\n");
  std::optional<process::ExitStatus> st = crictl->WaitExit(kSeconds30);
  ASSERT_TRUE(st.has_value()) << "crictl still runs:\n" << crictl->Output();
  EXPECT_NE(st->exit_code, 0) << st->Describe() << "\n" << crictl->Output();
  EXPECT_THAT(crictl->Output(), HasSubstr("command terminated with exit code 7"));
  EXPECT_THAT(ProcessList(id), Not(HasSubstr(" sh\n"))) << "the exec'd shell is left";
  CleanUpAndExpectNoLeaks();
}

TEST_F(StreamingTest, ExecIsKilledWhenTheClientGoesAway) {
  const std::string id = StartShell("exec-gone", "exec sleep 1000");
  ASSERT_NO_FATAL_FAILURE(ExpectExecEndsWhenItsClientIsKilled(id));
  EXPECT_THAT(d_->Log(), HasSubstr("client went away"));
  CleanUpAndExpectNoLeaks();
}

// Two clients attached at once each see the container's output as it comes;
// one leaving does not stop the container.
TEST_F(StreamingTest, AttachFollowsTheOutputOfARunningContainer) {
  const std::string id =
      StartShell("attach-out", "i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.1; done");
  auto first = LiveProcess::OnPipes(Crictl({"attach", id}));
  auto second = LiveProcess::OnPipes(Crictl({"attach", id}));
  for (auto* client : {first.get(), second.get()}) {
    ASSERT_TRUE(client->WaitForOutput("tick ")) << client->Output();
    // A later line than the first one seen: the output keeps flowing.
    std::string seen = client->Output();
    size_t at = seen.find("tick ") + 5;
    int n = std::stoi(seen.substr(at));
    EXPECT_TRUE(client->WaitForOutput("tick " + std::to_string(n + 3) + "\n")) << client->Output();
  }
  first.reset();  // SIGKILL: the client is gone
  std::string before = second->Output();
  int last = std::stoi(before.substr(before.rfind("tick ") + 5));
  EXPECT_TRUE(second->WaitForOutput("tick " + std::to_string(last + 3) + "\n")) << second->Output();
  rt::ContainerStatusResponse st;
  ASSERT_TRUE(ContainerStatus(id, &st).ok());
  EXPECT_EQ(st.status().state(), rt::CONTAINER_RUNNING);
  CleanUpAndExpectNoLeaks();
}

// stdin + stdin_once: what the client sends reaches the container's stdin
// (cat echoes it) while it stays attached; its end of input closes the
// container's stdin, so cat and the container end.
TEST_F(StreamingTest, AttachWithStdinOnceEchoesAndEndsTheContainerAtEndOfInput) {
  const std::string pod = RunPodOk("attach-in");
  rt::ContainerConfig c = Config("cat", {"cat"});
  c.set_stdin(true);
  c.set_stdin_once(true);
  const std::string id = CreateAndStartOk(pod, c);
  auto crictl = LiveProcess::OnPipes(Crictl({"attach", "-i", id}));
  ASSERT_TRUE(crictl->Write("hello-attach\n"));
  EXPECT_TRUE(crictl->WaitForOutput("hello-attach\n")) << crictl->Output();
  rt::ContainerStatusResponse st;
  ASSERT_TRUE(ContainerStatus(id, &st).ok());
  EXPECT_EQ(st.status().state(), rt::CONTAINER_RUNNING) << "ended before its stdin did";
  crictl->CloseInput();
  rt::ContainerStatus ended = WaitExited(id);
  EXPECT_EQ(ended.exit_code(), 0);
  std::optional<process::ExitStatus> done = crictl->WaitExit(kSeconds30);
  ASSERT_TRUE(done.has_value()) << "crictl attach still runs after the container ended";
  EXPECT_EQ(done->exit_code, 0) << crictl->Output();
  CleanUpAndExpectNoLeaks();
}

// crictl v1.26.1 (client-go 1.26) ends its whole session once a connection
// reports an error (kubernetes PR 103526); that other connections of the
// session go on is checked with berth's own client in
// streaming_session_test.cc.
TEST_F(StreamingTest, PortForwardReachesThePodAndReportsAClosedPortOnItsConnection) {
  std::string pod;
  StartWebServer("pf", "8080", 8080, false, &pod);
  const int good = UnusedLoopbackPort();
  int closed = UnusedLoopbackPort();
  while (closed == good) closed = UnusedLoopbackPort();
  // Port 9 (discard): nothing listens on it in the pod.
  auto crictl = LiveProcess::OnPipes(
      Crictl({"port-forward", pod, std::to_string(good) + ":8080", std::to_string(closed) + ":9"}));
  ASSERT_TRUE(crictl->WaitForOutput("127.0.0.1:" + std::to_string(closed) + " -> 9"))
      << crictl->Output();
  ASSERT_TRUE(crictl->WaitForOutput("127.0.0.1:" + std::to_string(good) + " -> 8080"))
      << crictl->Output();

  ProcessResult page = CurlLoopback(good);
  EXPECT_EQ(page.exit_code, 0) << page.output;
  EXPECT_EQ(page.output, kPage);
  ProcessResult refused = CurlLoopback(closed);
  EXPECT_NE(refused.exit_code, 0) << refused.output;
  EXPECT_TRUE(
      crictl->WaitForOutput("error occurred forwarding " + std::to_string(closed) + " -> 9"))
      << "no error for the closed port:\n"
      << crictl->Output();
  EXPECT_THAT(crictl->Output(), HasSubstr("port 9 of pod sandbox " + pod));
  EXPECT_THAT(crictl->Output(), HasSubstr("Connection refused"));
  crictl.reset();
  CleanUpAndExpectNoLeaks();
}

// Connects to 127.0.0.1:port and reads, never half-closing, until the peer
// closes or `timeout` passes: what came, and whether the end did.
std::pair<std::string, bool> ReadUntilPeerCloses(int port, std::chrono::milliseconds timeout) {
  ScopedFd s(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return {"", false};
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string got;
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd p{s.get(), POLLIN, 0};
    if (left.count() <= 0 || poll(&p, 1, static_cast<int>(left.count())) != 1) return {got, false};
    char buf[4096];
    ssize_t n = read(s.get(), buf, sizeof buf);
    if (n <= 0) return {got, n == 0};
    got.append(buf, static_cast<size_t>(n));
  }
}

// A server in the pod that writes and closes (without reading): the local
// client sees the data and then the end, without closing its own side first
// (a download that ends at end of stream). client-go ends a forwarded
// connection only once the runtime has closed the pair's error stream;
// berthd does that at most a second after the pod's side has ended
// (pkg/streaming/port_forward_copy.h), as containerd does.
TEST_F(StreamingTest, PortForwardPassesOnThePodClosingTheConnection) {
  std::string pod;
  const std::string id =
      StartShell("pf-close", "exec nc -ll -p 5003 -e /bin/echo hello", false, &pod);
  rt::ExecSyncResponse probe;
  ASSERT_TRUE(WaitFor(
      [&] {
        probe.Clear();
        return Exec(id, {"nc", "127.0.0.1", "5003"}, &probe).ok() && probe.stdout() == "hello\n";
      },
      kSeconds30))
      << "nc in the pod never answered: " << probe.stderr();
  const int local = UnusedLoopbackPort();
  auto crictl =
      LiveProcess::OnPipes(Crictl({"port-forward", pod, std::to_string(local) + ":5003"}));
  ASSERT_TRUE(crictl->WaitForOutput("127.0.0.1:" + std::to_string(local) + " -> 5003"))
      << crictl->Output();
  auto [got, closed] = ReadUntilPeerCloses(local, std::chrono::seconds(10));
  EXPECT_EQ(got, "hello\n");
  EXPECT_TRUE(closed) << "the forwarded connection stayed open 10 s after the pod closed it:\n"
                      << crictl->Output();
  crictl.reset();
  CleanUpAndExpectNoLeaks();
}

TEST_F(StreamingTest, PortForwardReachesAHostNetworkPodOnTheHostsLoopback) {
  const int pod_port = UnusedLoopbackPort();
  std::string pod;
  StartWebServer("pf-host", "127.0.0.1:" + std::to_string(pod_port), pod_port, true, &pod);
  int local = UnusedLoopbackPort();
  while (local == pod_port) local = UnusedLoopbackPort();
  auto crictl = LiveProcess::OnPipes(
      Crictl({"port-forward", pod, std::to_string(local) + ":" + std::to_string(pod_port)}));
  ASSERT_TRUE(crictl->WaitForOutput("127.0.0.1:" + std::to_string(local) + " ->"))
      << crictl->Output();
  ProcessResult page = CurlLoopback(local);
  EXPECT_EQ(page.exit_code, 0) << page.output;
  EXPECT_EQ(page.output, kPage);
  crictl.reset();
  CleanUpAndExpectNoLeaks();
}

// The streaming server comes back with berthd (on the same port here, so
// that a URL from before the restart reaches it): tokens issued before are
// gone (404), new sessions work, into a container that kept running.
TEST_F(StreamingTest, StreamingServerServesNewSessionsAfterARestartAndForgetsOldUrls) {
  const std::string id = StartShell("restart", "exec sleep 1000");
  auto url = [&] {
    rt::ExecRequest req;
    req.set_container_id(id);
    req.add_cmd("true");
    req.set_stdout(true);
    rt::ExecResponse resp;
    grpc::Status s = d_->runtime().Exec(Ctx().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.url();
  };
  auto http_code = [](const std::string& u) {
    return RunCommand({"/usr/bin/curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time",
                       "10", u})
        .output;
  };
  // A valid token without an upgrade: the server knew it (400, not 404).
  const std::string live = url();
  EXPECT_EQ(http_code(live), "400") << live;
  const std::string before = url();
  const std::string port = std::to_string(UrlPort(before));
  ASSERT_NE(port, "-1") << before;

  StopDaemon();
  // conmon outlives berthd: had it inherited the listening socket, the
  // port would still be taken.
  EXPECT_TRUE(CanListenOnLoopback(std::stoi(port))) << "port " << port << " still listened on:\n"
                                                    << RunCommand({"/usr/bin/ss", "-ltnp"}).output;
  std::ofstream(d_->config_path(), std::ios::app) << "stream: {port: " << port << "}\n";
  ASSERT_NO_FATAL_FAILURE(Restart());
  EXPECT_EQ(http_code(before), "404") << before << "\n" << d_->Log();
  const std::string after = url();
  EXPECT_THAT(after, HasSubstr(":" + port + "/exec/"));
  process::RunResult r = RunCrictlWithInput({"exec", id, "echo", "after-restart"}, "");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "after-restart\n");
  CleanUpAndExpectNoLeaks();
}

}  // namespace
}  // namespace berth::testing
