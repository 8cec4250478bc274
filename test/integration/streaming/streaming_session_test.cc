// Exec, Attach and PortForward through the typed CRI client and the
// streaming unit tests' kubelet-like SPDY client: the calls refuse what can never stream (a
// container that is not running, tty together with stderr, no stream at
// all, attach stdin to a container without one, a port outside 1..65535);
// the sessions carry what crictl v1.26.1 cannot show: the exit code in the
// v4 status, single-use URLs, and port-forward connections that go on after
// another one of the same session failed.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <future>
#include <nlohmann/json.hpp>

#include "test/integration/streaming/streaming_env.h"
#include "test/unit/streaming/stream_server_test_util.h"

namespace berth::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

namespace st = streaming::testing;

// A client session upgraded with `protocol` on a URL of berthd's streaming
// server; null, with the server's answer in `refused`, when it said no.
std::unique_ptr<st::ClientSession> Dial(const std::string& url, const std::string& protocol,
                                        st::HttpResponse* refused = nullptr) {
  st::Upgraded u = st::ExchangeUpgrade(st::ConnectTcp(static_cast<uint16_t>(UrlPort(url))),
                                       st::UpgradeRequestText(st::PathOf(url), {protocol}));
  if (refused) *refused = u.response;
  if (u.response.code != 101) return nullptr;
  return std::make_unique<st::ClientSession>(std::move(u.transport));
}

// One forwarded connection: its error stream and its data stream, paired by
// request ID.
struct Forward {
  std::shared_ptr<streaming::spdy::Stream> error, data;
};
Forward OpenForward(st::ClientSession& c, int port, int request_id) {
  const std::string p = std::to_string(port), id = std::to_string(request_id);
  Forward f;
  f.error = c.Open({{"streamType", "error"}, {"port", p}, {"requestID", id}});
  f.data = c.Open({{"streamType", "data"}, {"port", p}, {"requestID", id}});
  return f;
}

struct Streams {
  bool tty = false, in = false, out = true, err = false;
};

class StreamingSessionTest : public StreamingTest {
 protected:
  grpc::Status ExecCall(const std::string& id, Streams s, std::string* url = nullptr) {
    rt::ExecRequest req;
    req.set_container_id(id);
    req.add_cmd("true");
    req.set_tty(s.tty);
    req.set_stdin(s.in);
    req.set_stdout(s.out);
    req.set_stderr(s.err);
    rt::ExecResponse resp;
    grpc::Status st = d_->runtime().Exec(Ctx().get(), req, &resp);
    if (url) *url = resp.url();
    return st;
  }
  grpc::Status AttachCall(const std::string& id, Streams s, std::string* url = nullptr) {
    rt::AttachRequest req;
    req.set_container_id(id);
    req.set_tty(s.tty);
    req.set_stdin(s.in);
    req.set_stdout(s.out);
    req.set_stderr(s.err);
    rt::AttachResponse resp;
    grpc::Status st = d_->runtime().Attach(Ctx().get(), req, &resp);
    if (url) *url = resp.url();
    return st;
  }
  grpc::Status PortForwardCall(const std::string& pod, std::vector<int32_t> ports,
                               std::string* url = nullptr) {
    rt::PortForwardRequest req;
    req.set_pod_sandbox_id(pod);
    for (int32_t p : ports) req.add_port(p);
    rt::PortForwardResponse resp;
    grpc::Status st = d_->runtime().PortForward(Ctx().get(), req, &resp);
    if (url) *url = resp.url();
    return st;
  }
};

TEST_F(StreamingSessionTest, ExecAndAttachNeedARunningContainer) {
  const std::string pod = RunPodOk("not-running");
  const std::string created = CreateOk(pod, Config("created", {"sleep", "1000"}));
  const std::string exited = CreateAndStartOk(pod, Config("exited", {"true"}));
  WaitExited(exited);
  for (const std::string& id : {created, exited}) {
    grpc::Status s = ExecCall(id, {});
    EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
        << id << ": " << s.error_message();
    EXPECT_THAT(s.error_message(), HasSubstr("not running"));
    s = AttachCall(id, {});
    EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
        << id << ": " << s.error_message();
  }
  grpc::Status unknown = ExecCall("0123456789abcdef", {});
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::NOT_FOUND) << unknown.error_message();
  CleanUpAndExpectNoLeaks();
}

TEST_F(StreamingSessionTest, ChannelsThatCannotStreamAreInvalidArguments) {
  const std::string id = StartShell("channels", "exec sleep 1000");
  grpc::Status s = ExecCall(id, {.tty = true, .in = true, .out = true, .err = true});
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("stderr"));
  s = ExecCall(id, {.out = false});
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  s = AttachCall(id, {.tty = true, .out = true, .err = true});
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  // The container was created without stdin.
  s = AttachCall(id, {.in = true});
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();

  std::string url;
  s = ExecCall(id, {.tty = true, .in = true}, &url);
  EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_THAT(url, StartsWith("http://127.0.0.1:"));
  EXPECT_THAT(url, HasSubstr("/exec/"));
  s = AttachCall(id, {.out = true, .err = true}, &url);
  EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_THAT(url, HasSubstr("/attach/"));
  CleanUpAndExpectNoLeaks();
}

TEST_F(StreamingSessionTest, PortForwardRefusesPortsOutsideTheTcpRange) {
  const std::string pod = RunPodOk("ports");
  for (int32_t bad : {0, 70000, -1, 65536}) {
    grpc::Status s = PortForwardCall(pod, {8080, bad});
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << bad << ": " << s.error_message();
    EXPECT_THAT(s.error_message(), HasSubstr(std::to_string(bad)));
  }
  std::string url;
  grpc::Status s = PortForwardCall(pod, {1, 65535}, &url);
  EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_THAT(url, HasSubstr("/portforward/"));
  ASSERT_TRUE(Stop(pod).ok());
  s = PortForwardCall(pod, {8080});
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  CleanUpAndExpectNoLeaks();
}

// The v4 status on the error stream: Success, or Failure with reason
// NonZeroExitCode and the code as an ExitCode cause; stdout and stderr
// apart; and a URL serves one session only.
TEST_F(StreamingSessionTest, ExecStatusCarriesTheExitCodeAndUrlsServeOnce) {
  const std::string id = StartShell("exec-status", "exec sleep 1000");
  struct Outcome {
    std::string out, err;
    nlohmann::json status;
  };
  auto run = [&](const std::string& url) {
    Outcome o;
    std::unique_ptr<st::ClientSession> c = Dial(url, "v4.channel.k8s.io");
    if (!c) {
      ADD_FAILURE() << "upgrade refused: " << url;
      return o;
    }
    st::ExecStreams s = st::OpenExecStreams(*c, false, true, true);
    Result<std::string> out = st::ReadToEnd(s.out), err = st::ReadToEnd(s.err);
    Result<std::string> status = st::ReadToEnd(s.error);
    EXPECT_TRUE(out.ok() && err.ok() && status.ok())
        << out.status().message() << err.status().message() << status.status().message();
    if (!status.ok()) return o;
    o = {*out, *err, nlohmann::json::parse(*status, nullptr, false)};
    return o;
  };

  std::string url;
  grpc::Status s = ExecCall(id, {.out = true, .err = true}, &url);  // runs `true`
  ASSERT_TRUE(s.ok()) << s.error_message();
  Outcome ok = run(url);
  EXPECT_EQ(ok.status["status"], "Success") << ok.status;
  EXPECT_EQ(ok.out, "");
  st::HttpResponse again;
  EXPECT_EQ(Dial(url, "v4.channel.k8s.io", &again), nullptr) << "a used URL served again";
  EXPECT_EQ(again.code, 404) << again.body;

  rt::ExecRequest req;
  req.set_container_id(id);
  for (const char* a : {"sh", "-c", "echo out; echo err >&2; exit 3"}) req.add_cmd(a);
  req.set_stdout(true);
  req.set_stderr(true);
  rt::ExecResponse resp;
  s = d_->runtime().Exec(Ctx().get(), req, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  Outcome failed = run(resp.url());
  EXPECT_EQ(failed.out, "out\n");
  EXPECT_EQ(failed.err, "err\n");
  EXPECT_EQ(failed.status["status"], "Failure") << failed.status;
  EXPECT_EQ(failed.status["reason"], "NonZeroExitCode") << failed.status;
  EXPECT_EQ(failed.status["details"]["causes"][0]["reason"], "ExitCode") << failed.status;
  EXPECT_EQ(failed.status["details"]["causes"][0]["message"], "3") << failed.status;
  CleanUpAndExpectNoLeaks();
}

// A connection to a port nothing listens on fails on its own error stream;
// the session goes on, and serves many connections at once to a good port.
TEST_F(StreamingSessionTest, PortForwardConnectionsGoOnAfterOneIsRefused) {
  std::string pod;
  StartWebServer("pf-session", "8080", 8080, false, &pod);
  std::string url;
  grpc::Status s = PortForwardCall(pod, {}, &url);
  ASSERT_TRUE(s.ok()) << s.error_message();
  std::unique_ptr<st::ClientSession> client = Dial(url, "portforward.k8s.io");
  ASSERT_NE(client, nullptr);

  // Port 9 (discard): nothing listens on it in the pod.
  Forward refused = OpenForward(*client, 9, 1);
  Result<std::string> why = st::ReadToEnd(refused.error);
  ASSERT_TRUE(why.ok()) << why.status().message();
  EXPECT_THAT(*why, HasSubstr("port 9 of pod sandbox " + pod));
  EXPECT_THAT(*why, HasSubstr("Connection refused"));
  EXPECT_FALSE(st::ReadToEnd(refused.data).ok())
      << "the refused connection's data stream was not reset";

  auto fetch = [&](int request_id) -> std::string {
    Forward c = OpenForward(*client, 8080, request_id);
    if (!c.data) return "not opened";
    if (berth::Status w = c.data->Write("GET / HTTP/1.0\r\n\r\n"); !w.ok())
      return "write: " + w.message();
    if (berth::Status w = c.data->CloseWrite(); !w.ok()) return "close: " + w.message();
    Result<std::string> page = st::ReadToEnd(c.data), error = st::ReadToEnd(c.error);
    if (!page.ok()) return "read: " + page.status().message();
    if (!error.ok() || !error->empty())
      return "error stream: " + (error.ok() ? *error : error.status().message());
    return *page;
  };
  const std::string body = std::string("\r\n\r\n") + kPage;
  EXPECT_THAT(fetch(2), HasSubstr(body));
  std::vector<std::future<std::string>> pages;
  for (int i = 0; i < 20; ++i) pages.push_back(std::async(std::launch::async, fetch, 3 + i));
  for (auto& p : pages) EXPECT_THAT(p.get(), HasSubstr(body));
  client.reset();
  CleanUpAndExpectNoLeaks();
}

}  // namespace
}  // namespace berth::testing
