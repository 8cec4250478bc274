// StreamServer at its edges, through a kubelet-like client (see
// stream_server_test_util.h): tokens and negotiation over real HTTP, exec
// and port-forward over SPDY with fake handlers, clients that misbehave
// (disconnect, never read, send garbage), many sessions at once, TLS, Stop.
#include "pkg/streaming/stream_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include <condition_variable>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>

#include "pkg/fs/temp_dir.h"
#include "pkg/streaming/protocol.h"
#include "test/unit/streaming/stream_server_test_util.h"

namespace berth::streaming {
namespace {

using namespace std::chrono_literals;
using namespace std::string_literals;
using nlohmann::json;
using testing::ClientSession;
using testing::Eventually;
using testing::ExecRequest;
using testing::ExecStreams;
using testing::OpenExecStreams;
using testing::PortForwardRequest;
using testing::ReadStream;
using testing::ReadToEnd;
using testing::ServerRig;
using testing::Upgraded;

constexpr const char* kV4 = "v4.channel.k8s.io";
constexpr const char* kPortForward = "portforward.k8s.io";

// Everything a handler's reader gives until its end; an error if it fails
// before.
Result<std::string> Drain(ByteReader* r) {
  std::string out;
  char buf[16 * 1024];
  for (;;) {
    Result<size_t> n = r->Read(buf, sizeof buf);
    if (!n.ok()) return n.status();
    if (*n == 0) return out;
    out.append(buf, *n);
  }
}

// Copies stdin to stdout as it comes, like `cat`.
void Echo(ExecIo& io) {
  char buf[4096];
  for (;;) {
    Result<size_t> n = io.stdin->Read(buf, sizeof buf);
    if (!n.ok() || *n == 0) return;
    if (!io.stdout->Write(std::string_view(buf, *n)).ok()) return;
  }
}

// Waits on the hang-up eventfd as a handler polling its own fds would.
bool WaitHangup(const Hangup* h, std::chrono::milliseconds timeout = 20s) {
  pollfd p{h->fd(), POLLIN, 0};
  return poll(&p, 1, static_cast<int>(timeout.count())) == 1;
}

// The text of a read, or a test failure naming why there is none.
std::string Text(const Result<std::string>& r) {
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : "<" + r.status().ToString() + ">";
}

json ParseStatus(const Result<std::string>& text) {
  EXPECT_TRUE(text.ok()) << text.status().ToString();
  json j = json::parse(text.ok() ? *text : "", nullptr, false);
  EXPECT_TRUE(j.is_object()) << (text.ok() ? *text : "");
  return j;
}

// A count other threads bump and the test waits for.
class Counter {
 public:
  void Add() {
    std::lock_guard l(mu_);
    ++n_;
    cv_.notify_all();
  }
  bool WaitFor(int n, std::chrono::milliseconds timeout = 20s) {
    std::unique_lock l(mu_);
    return cv_.wait_for(l, timeout, [&] { return n_ >= n; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int n_ = 0;
};

// ---------------------------------------------------------------------------
// Tokens over HTTP.

TEST(StreamServerTest, UrlNamesTheKindAndTheRealPort) {
  ServerRig rig;
  ASSERT_NE(rig.server().port(), 0);
  std::string base = "http://127.0.0.1:" + std::to_string(rig.server().port()) + "/";
  EXPECT_EQ(rig.Url(ExecRequest(false, true, false)).rfind(base + "exec/", 0), 0u);
  StreamRequest attach = ExecRequest(false, true, false);
  attach.kind = StreamKind::kAttach;
  EXPECT_EQ(rig.Url(attach).rfind(base + "attach/", 0), 0u);
  EXPECT_EQ(rig.Url(PortForwardRequest()).rfind(base + "portforward/", 0), 0u);
}

TEST(StreamServerTest, UnknownTokenIs404AndNothingRuns) {
  ServerRig rig;
  for (const std::string& path :
       {"/exec/" + std::string(43, 'A'), std::string("/exec/"), std::string("/exec"),
        std::string("/"), std::string("/portforward/x"), std::string("/nope/x")}) {
    Upgraded u = rig.Upgrade(path, {kV4});
    EXPECT_EQ(u.response.code, 404) << path;
  }
  EXPECT_EQ(rig.backend.exec_calls.load(), 0);
  EXPECT_EQ(rig.backend.dial_calls.load(), 0);
}

TEST(StreamServerTest, UsedTokenIs404) {
  ServerRig rig;
  rig.backend.exec = [](const StreamRequest&, ExecIo& io) {
    EXPECT_TRUE(io.stdout->Write("once").ok());
    return ExecOutcome{OkStatus(), 0};
  };
  std::string path = rig.Path(ExecRequest(false, true, false));
  {
    Upgraded u = rig.Upgrade(path, {kV4});
    ASSERT_EQ(u.response.code, 101);
    ClientSession c(std::move(u.transport));
    ExecStreams s = OpenExecStreams(c, false, true, false);
    EXPECT_EQ(Text(ReadToEnd(s.out)), "once");
    EXPECT_EQ(ParseStatus(ReadToEnd(s.error))["status"], "Success");
  }
  EXPECT_EQ(rig.Upgrade(path, {kV4}).response.code, 404);
  EXPECT_EQ(rig.backend.exec_calls.load(), 1);
}

TEST(StreamServerTest, ExpiredTokenIs404AndNothingRuns) {
  auto skew = std::make_shared<std::atomic<int>>(0);  // seconds the clock is ahead
  ServerOptions options;
  options.tokens.now = [skew] { return TokenStore::Clock::now() + std::chrono::seconds(*skew); };
  ServerRig rig(options);
  std::string path = rig.Path(ExecRequest(false, true, false));
  *skew = 61;
  EXPECT_EQ(rig.Upgrade(path, {kV4}).response.code, 404);
  EXPECT_EQ(rig.backend.exec_calls.load(), 0);
}

TEST(StreamServerTest, TokenOnAnotherKindsPathIs404) {
  ServerRig rig;
  std::string exec_path = rig.Path(ExecRequest(false, true, false));
  ASSERT_EQ(exec_path.rfind("/exec/", 0), 0u);
  EXPECT_EQ(rig.Upgrade("/attach/" + exec_path.substr(6), {kV4}).response.code, 404);
  std::string pf_path = rig.Path(PortForwardRequest());
  EXPECT_EQ(rig.Upgrade("/exec/" + pf_path.substr(13), {kV4}).response.code, 404);
  EXPECT_EQ(rig.backend.exec_calls.load(), 0);
}

TEST(StreamServerTest, NotAnUpgradeIs400) {
  ServerRig rig;
  std::string path = rig.Path(ExecRequest(false, true, false));
  Upgraded plain = testing::ExchangeUpgrade(testing::ConnectTcp(rig.server().port()),
                                            "GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(plain.response.code, 400);
  // Not HTTP at all.
  Upgraded junk = testing::ExchangeUpgrade(testing::ConnectTcp(rig.server().port()),
                                           "\x80\x03\x00\x01 junk\r\n\r\n"s);
  EXPECT_EQ(junk.response.code, 400);
  EXPECT_EQ(rig.backend.exec_calls.load(), 0);
}

// ---------------------------------------------------------------------------
// Negotiation.

TEST(StreamServerTest, ClientOrderWinsAndTheSessionSpeaksIt) {
  ServerRig rig;
  rig.backend.exec = [](const StreamRequest&, ExecIo&) { return ExecOutcome{OkStatus(), 3}; };
  // Both v2 and v4 are ours; the client prefers v2, so the exit code comes as
  // v2's plain text rather than v4's JSON.
  Upgraded u = rig.Upgrade(rig.Path(ExecRequest(false, true, false)),
                           {"v2.channel.k8s.io, v4.channel.k8s.io"});
  ASSERT_EQ(u.response.code, 101);
  EXPECT_EQ(u.response.Values("x-stream-protocol-version"),
            std::vector<std::string>{"v2.channel.k8s.io"});
  EXPECT_EQ(u.response.Values("upgrade"), std::vector<std::string>{"SPDY/3.1"});
  ClientSession c(std::move(u.transport));
  ExecStreams s = OpenExecStreams(c, false, true, false);
  Result<std::string> error = ReadToEnd(s.error);
  ASSERT_TRUE(error.ok());
  EXPECT_NE(error->find("exit status 3"), std::string::npos) << *error;
  EXPECT_TRUE(json::parse(*error, nullptr, false).is_discarded()) << *error;
}

TEST(StreamServerTest, RepeatedAndCommaSeparatedHeadersAreOneList) {
  ServerRig rig;
  Upgraded u = rig.Upgrade(rig.Path(ExecRequest(false, true, false)),
                           {"v9.channel.k8s.io", "bogus ,v3.channel.k8s.io", kV4});
  EXPECT_EQ(u.response.code, 101);
  EXPECT_EQ(u.response.Values("x-stream-protocol-version"),
            std::vector<std::string>{"v3.channel.k8s.io"});
}

TEST(StreamServerTest, NoCommonProtocolIs403ListingOursAndNothingRuns) {
  ServerRig rig;
  struct Case {
    StreamRequest request;
    std::vector<std::string> offered;
    const std::vector<std::string>& ours;
  };
  std::vector<Case> cases = {
      {ExecRequest(false, true, false),
       {"v9.channel.k8s.io", kPortForward},
       SpdyRemoteCommandProtocols()},
      {ExecRequest(false, true, false), {}, SpdyRemoteCommandProtocols()},
      {PortForwardRequest(), {kV4}, SpdyPortForwardProtocols()},
  };
  for (const Case& c : cases) {
    Upgraded u = rig.Upgrade(rig.Path(c.request), c.offered);
    EXPECT_EQ(u.response.code, 403);
    EXPECT_EQ(u.response.Values("x-accepted-stream-protocol-versions"), c.ours);
    EXPECT_FALSE(u.transport);
  }
  EXPECT_EQ(rig.backend.exec_calls.load(), 0);
  EXPECT_EQ(rig.backend.dial_calls.load(), 0);
}

// ---------------------------------------------------------------------------
// Exec over SPDY.

TEST(StreamServerTest, ExecV4ChannelsReachTheHandlerAndSuccessIsReported) {
  std::string seen_stdin;
  ServerRig rig;
  rig.backend.exec = [&](const StreamRequest& r, ExecIo& io) {
    EXPECT_EQ(r.cmd, std::vector<std::string>{"cat"});
    EXPECT_FALSE(io.resize);
    if (!io.stdin || !io.stdout || !io.stderr || !io.hangup) {
      return ExecOutcome{Internal("a channel is missing"), {}};
    }
    // Output only once stdin has ended: the client's CloseWrite must arrive
    // as end of stream here.
    seen_stdin = Text(Drain(io.stdin));
    EXPECT_TRUE(io.stdout->Write("out:" + std::to_string(seen_stdin.size())).ok());
    EXPECT_TRUE(io.stderr->Write("to stderr").ok());
    return ExecOutcome{OkStatus(), 0};
  };
  auto c = rig.Session(ExecRequest(true, true, true));
  ASSERT_TRUE(c);
  ExecStreams s = OpenExecStreams(*c, true, true, true);
  // More than a stream's receive buffer (256 KiB), in pieces.
  std::string input;
  for (int i = 0; input.size() < 300 * 1024; ++i) input += "line " + std::to_string(i) + "\n";
  ASSERT_TRUE(s.in->Write(input.substr(0, 1000)).ok());
  ASSERT_TRUE(s.in->Write(input.substr(1000)).ok());
  ASSERT_TRUE(s.in->CloseWrite().ok());
  EXPECT_EQ(Text(ReadToEnd(s.out)), "out:" + std::to_string(input.size()));
  EXPECT_EQ(Text(ReadToEnd(s.err)), "to stderr");
  json status = ParseStatus(ReadToEnd(s.error));
  EXPECT_EQ(status["status"], "Success");
  EXPECT_EQ(status["metadata"], json::object());
  EXPECT_TRUE(c->EndsWithin(20s));  // the server ends the session
  EXPECT_EQ(seen_stdin, input);
  EXPECT_TRUE(rig.Drained());
}

// Output that is still in flight when the command ends arrives whole. The
// client keeps talking while it reads (WINDOW_UPDATEs as it drains stdout,
// stdin it keeps sending): a server that closes with such bytes unread
// resets the connection, and a reset throws away what was not yet sent.
TEST(StreamServerTest, OutputInFlightWhenTheCommandEndsArrivesWhole) {
  const std::string output(8 << 20, 'o');
  ServerRig rig;
  rig.backend.exec = [&](const StreamRequest&, ExecIo& io) {
    char first;
    EXPECT_TRUE(io.stdin->Read(&first, 1).ok());  // then stops reading, as `head -c1` does
    EXPECT_TRUE(io.stdout->Write(output).ok());
    return ExecOutcome{OkStatus(), 0};
  };
  auto c = rig.Session(ExecRequest(true, true, false));
  ExecStreams s = OpenExecStreams(*c, true, true, false);
  auto feeding = std::async(std::launch::async, [in = s.in] {
    const std::string chunk(16 * 1024, 'i');
    while (in->Write(chunk).ok()) {
    }
  });
  Result<std::string> out = ReadToEnd(s.out);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->size(), output.size());
  EXPECT_EQ(ParseStatus(ReadToEnd(s.error))["status"], "Success");
  c->Close();
  feeding.get();
}

TEST(StreamServerTest, ChannelsTheRequestDidNotAskForAreNull) {
  ServerRig rig;
  rig.backend.exec = [](const StreamRequest&, ExecIo& io) {
    EXPECT_FALSE(io.stdin);
    EXPECT_FALSE(io.stderr);
    EXPECT_FALSE(io.resize);
    EXPECT_TRUE(io.stdout->Write("only stdout").ok());
    return ExecOutcome{OkStatus(), 0};
  };
  auto c = rig.Session(ExecRequest(false, true, false));
  ExecStreams s = OpenExecStreams(*c, false, true, false);
  EXPECT_EQ(Text(ReadToEnd(s.out)), "only stdout");
  EXPECT_EQ(ParseStatus(ReadToEnd(s.error))["status"], "Success");
  EXPECT_EQ(rig.backend.exec_calls.load(), 1);
}

TEST(StreamServerTest, ExecV4NonZeroExitCarriesTheExitCode) {
  ServerRig rig;
  rig.backend.exec = [](const StreamRequest&, ExecIo&) { return ExecOutcome{OkStatus(), 3}; };
  auto c = rig.Session(ExecRequest(false, true, false));
  ExecStreams s = OpenExecStreams(*c, false, true, false);
  EXPECT_EQ(Text(ReadToEnd(s.out)), "");
  json status = ParseStatus(ReadToEnd(s.error));
  EXPECT_EQ(status["status"], "Failure");
  EXPECT_EQ(status["reason"], "NonZeroExitCode");
  ASSERT_EQ(status["details"]["causes"].size(), 1u);
  EXPECT_EQ(status["details"]["causes"][0]["reason"], "ExitCode");
  EXPECT_EQ(status["details"]["causes"][0]["message"], "3");
}

TEST(StreamServerTest, ExecV2ReportsInPlainText) {
  ServerRig rig;
  std::atomic<int> exit_code{0};
  rig.backend.exec = [&](const StreamRequest&, ExecIo&) {
    return ExecOutcome{OkStatus(), exit_code.load()};
  };
  {
    auto c = rig.Session(ExecRequest(false, true, false), "v2.channel.k8s.io");
    ExecStreams s = OpenExecStreams(*c, false, true, false);
    EXPECT_EQ(Text(ReadToEnd(s.error)), "");  // success says nothing before v4
  }
  exit_code = 3;
  auto c = rig.Session(ExecRequest(false, true, false), "v2.channel.k8s.io");
  ExecStreams s = OpenExecStreams(*c, false, true, false);
  Result<std::string> error = ReadToEnd(s.error);
  ASSERT_TRUE(error.ok());
  EXPECT_NE(error->find("exit status 3"), std::string::npos) << *error;
  EXPECT_NE(error->front(), '{');
}

TEST(StreamServerTest, ResizeMessagesReachTheHandlerInOrder) {
  ServerRig rig;
  rig.backend.exec = [](const StreamRequest&, ExecIo& io) {
    EXPECT_FALSE(io.stderr);  // a terminal has one output
    if (!io.resize) return ExecOutcome{Internal("no resize channel"), {}};
    std::string carry, sizes;
    while (std::optional<TerminalSize> s = NextTerminalSize(*io.resize, carry)) {
      sizes += std::to_string(s->width) + "x" + std::to_string(s->height) + ",";
    }
    EXPECT_TRUE(io.stdout->Write(sizes).ok());
    return ExecOutcome{OkStatus(), 0};
  };
  auto c = rig.Session(ExecRequest(true, true, false, /*tty=*/true));
  ExecStreams s = OpenExecStreams(*c, true, true, false, /*resize=*/true);
  ASSERT_TRUE(s.resize);
  ASSERT_TRUE(s.resize->Write(R"({"Width":80,"Height":24})").ok());
  ASSERT_TRUE(s.resize->Write(R"({"Width":132,"Hei)").ok());
  ASSERT_TRUE(s.resize->Write(R"(ght":43}{"Width":100,"Height":40})").ok());
  ASSERT_TRUE(s.resize->CloseWrite().ok());
  EXPECT_EQ(Text(ReadToEnd(s.out)), "80x24,132x43,100x40,");
  EXPECT_EQ(ParseStatus(ReadToEnd(s.error))["status"], "Success");
}

TEST(StreamServerTest, HandlerStartsBeforeTheStreamsAndItsChannelsWaitForThem) {
  // The command's start-up overlaps the client opening its streams: the
  // handler runs right after the upgrade, and its output waits for stdout.
  Counter started;
  std::promise<Status> wrote;
  ServerRig rig;
  rig.backend.exec = [&](const StreamRequest&, ExecIo& io) {
    started.Add();
    wrote.set_value(io.stdout->Write("early"));
    return ExecOutcome{OkStatus(), 0};
  };
  auto c = rig.Session(ExecRequest(false, true, false));
  ASSERT_TRUE(started.WaitFor(1));
  auto written = wrote.get_future();
  // A PING round trip later the write is still waiting: no stream to carry it.
  ASSERT_TRUE(c->session().Ping(10s).ok());
  EXPECT_EQ(written.wait_for(0s), std::future_status::timeout);
  // A channel the request did not name is refused, and does not count.
  auto bogus = c->Open({{"streamType", "resize"}});
  char b;
  EXPECT_FALSE(bogus->Read(&b, 1).ok());
  auto error = c->Open({{"streamType", "error"}});
  auto out = c->Open({{"streamType", "stdout"}});
  EXPECT_EQ(Text(ReadToEnd(out)), "early");
  ASSERT_EQ(written.wait_for(10s), std::future_status::ready);
  EXPECT_TRUE(written.get().ok());
  EXPECT_EQ(ParseStatus(ReadToEnd(error))["status"], "Success");
  EXPECT_EQ(rig.backend.exec_calls.load(), 1);
}

TEST(StreamServerTest, OutcomeWaitsForTheErrorStreamOfAClientStillOpeningIt) {
  // The handler ends before the client has opened anything; its exit code
  // still reaches the client once the streams are there.
  Counter ended;
  ServerRig rig;
  rig.backend.exec = [&](const StreamRequest&, ExecIo&) {
    ended.Add();
    return ExecOutcome{OkStatus(), 3};
  };
  auto c = rig.Session(ExecRequest(false, true, false));
  ASSERT_TRUE(ended.WaitFor(1));
  auto error = c->Open({{"streamType", "error"}});
  auto out = c->Open({{"streamType", "stdout"}});
  EXPECT_EQ(Text(ReadToEnd(out)), "");
  json status = ParseStatus(ReadToEnd(error));
  EXPECT_EQ(status["status"], "Failure");
  EXPECT_EQ(status["details"]["causes"][0]["message"], "3");
}

TEST(StreamServerTest, ClientDisconnectMidExecSignalsTheHangup) {
  Counter started;
  std::promise<bool> saw_hangup;
  ServerRig rig;
  rig.backend.exec = [&](const StreamRequest&, ExecIo& io) {
    started.Add();
    saw_hangup.set_value(WaitHangup(io.hangup));
    return ExecOutcome{OkStatus(), 0};
  };
  auto c = rig.Session(ExecRequest(true, true, false));
  ExecStreams s = OpenExecStreams(*c, true, true, false);
  ASSERT_TRUE(started.WaitFor(1));
  EXPECT_EQ(rig.server().ActiveConnections(), 1u);
  c->Close();
  auto hangup = saw_hangup.get_future();
  ASSERT_EQ(hangup.wait_for(25s), std::future_status::ready);
  EXPECT_TRUE(hangup.get());
  EXPECT_TRUE(rig.Drained());
}

TEST(StreamServerTest, PingIsAnswered) {
  Counter started;
  ServerRig rig;
  rig.backend.exec = [&](const StreamRequest&, ExecIo& io) {
    started.Add();
    WaitHangup(io.hangup);
    return ExecOutcome{OkStatus(), 0};
  };
  auto c = rig.Session(ExecRequest(false, true, false));
  EXPECT_TRUE(c->session().Ping(10s).ok());  // before any stream
  ExecStreams s = OpenExecStreams(*c, false, true, false);
  ASSERT_TRUE(started.WaitFor(1));
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(c->session().Ping(10s).ok());  // mid-session
}

TEST(StreamServerTest, ResetStdinFailsTheHandlersReadButTheSessionGoesOn) {
  std::promise<void> pinged;
  ServerRig rig;
  rig.backend.exec = [&](const StreamRequest&, ExecIo& io) {
    std::string got;
    char buf[64];
    while (got.size() < 6) {
      Result<size_t> n = io.stdin->Read(buf, sizeof buf);
      if (!n.ok() || *n == 0) break;
      got.append(buf, *n);
    }
    EXPECT_TRUE(io.stdout->Write("got " + got + "\n").ok());
    Result<size_t> after = io.stdin->Read(buf, sizeof buf);
    EXPECT_TRUE(io.stdout->Write(after.ok() ? "read went on\n" : "read failed\n").ok());
    // The session outlives the reset: the client pings before we finish.
    EXPECT_EQ(pinged.get_future().wait_for(20s), std::future_status::ready);
    EXPECT_TRUE(io.stdout->Write("done").ok());
    return ExecOutcome{OkStatus(), 0};
  };
  auto c = rig.Session(ExecRequest(true, true, false));
  ExecStreams s = OpenExecStreams(*c, true, true, false);
  ASSERT_TRUE(s.in->Write("before").ok());
  EXPECT_EQ(Text(ReadStream(s.out, 11)), "got before\n");
  ASSERT_TRUE(s.in->Reset(spdy::RstStatus::kCancel).ok());
  EXPECT_EQ(Text(ReadStream(s.out, 12)), "read failed\n");
  EXPECT_TRUE(c->session().Ping(10s).ok());
  pinged.set_value();
  EXPECT_EQ(Text(ReadToEnd(s.out)), "done");
  EXPECT_EQ(ParseStatus(ReadToEnd(s.error))["status"], "Success");
}

TEST(StreamServerTest, ClientThatNeverReadsBlocksTheWriterNotTheMemory) {
  constexpr size_t kMiB = 1 << 20;
  constexpr size_t kTotal = 64 * kMiB;
  std::atomic<size_t> written{0};
  std::promise<Status> finished;
  ServerRig rig;
  rig.backend.exec = [&](const StreamRequest&, ExecIo& io) {
    const std::string chunk(64 * 1024, 'x');
    Status st;
    while (written < kTotal) {
      st = io.stdout->Write(chunk);
      if (!st.ok()) break;
      written += chunk.size();
    }
    finished.set_value(st);
    return ExecOutcome{st, 0};
  };
  auto c = rig.Session(ExecRequest(false, true, false));
  ExecStreams s = OpenExecStreams(*c, false, true, false);
  const size_t rss_before = testing::ProcStatusBytes("VmRSS");
  // The client never reads stdout. Blocked is a non-event: wait until the
  // writer has made no progress for a while.
  size_t last = written;
  auto still_since = std::chrono::steady_clock::now();
  const auto deadline = still_since + 20s;
  while (std::chrono::steady_clock::now() - still_since < 500ms) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the writer never stopped";
    std::this_thread::sleep_for(20ms);
    if (size_t now = written; now != last) {
      last = now;
      still_since = std::chrono::steady_clock::now();
    }
  }
  auto done = finished.get_future();
  EXPECT_EQ(done.wait_for(0s), std::future_status::timeout) << "all 64 MiB went out";
  // What is in flight: the client's stream buffer and both kernels' socket
  // buffers, a few MiB at most.
  EXPECT_LT(written.load(), kTotal / 2);
  const size_t rss_after = testing::ProcStatusBytes("VmRSS");
  EXPECT_LT(rss_after, rss_before + 32 * kMiB)
      << "RSS grew from " << rss_before / kMiB << " to " << rss_after / kMiB << " MiB";
  // The client going away unblocks the writer with an error.
  c->Close();
  ASSERT_EQ(done.wait_for(20s), std::future_status::ready);
  EXPECT_FALSE(done.get().ok());
  EXPECT_TRUE(rig.Drained());
}

// ---------------------------------------------------------------------------
// Broken clients.

std::string Encode(const spdy::Frame& f) {
  std::string out;
  EXPECT_TRUE(spdy::AppendFrame(f, &out).ok());
  return out;
}

// SYN_STREAM `id` whose headers went through a fresh compressor (the first
// block of a connection).
std::string SynStream(uint32_t id, const spdy::HeaderBlock& headers) {
  spdy::HeaderCompressor compressor;
  spdy::SynStreamFrame f;
  f.stream_id = id;
  f.header_block = compressor.Compress(headers).value();
  return Encode(f);
}

struct Garbage {
  const char* name;
  std::string bytes;
};

std::vector<Garbage> GarbageAfterTheUpgrade() {
  std::string bad_version = Encode(spdy::PingFrame{1});
  bad_version[1] = 2;  // SPDY/2
  std::string short_syn("\x80\x03\x00\x01\x00\x00\x00\x02\x00\x00", 10);
  spdy::SynStreamFrame corrupt;
  corrupt.stream_id = 1;
  corrupt.header_block = "this is not a zlib stream at all";
  // The block's zlib header names its dictionary by checksum (bytes 2-5
  // after the 18 bytes of SYN_STREAM head): name another one.
  std::string other_dictionary = SynStream(1, {{"streamtype", "error"}});
  other_dictionary[18 + 2] ^= 0x55;
  return {
      {"control frame of another version", bad_version},
      {"truncated SYN_STREAM", short_syn},
      {"header block that is not zlib", Encode(corrupt)},
      {"header block naming another dictionary", other_dictionary},
      {"stream id of the server's parity", SynStream(2, {{"streamtype", "error"}})},
      {"0xff bytes", std::string(64, '\xff')},
  };
}

TEST(StreamServerTest, MalformedFramesCloseTheConnectionAndTheServerGoesOn) {
  ServerRig rig;
  // The handler starts on the upgrade, before any frame: on a connection the
  // garbage closes, its output has nowhere to go and it ends.
  std::atomic<int> writes_failed{0};
  rig.backend.exec = [&](const StreamRequest&, ExecIo& io) {
    if (!io.stdout->Write("fine").ok()) ++writes_failed;
    return ExecOutcome{OkStatus(), 0};
  };
  const std::vector<Garbage> garbage = GarbageAfterTheUpgrade();
  for (const Garbage& g : garbage) {
    SCOPED_TRACE(g.name);
    Upgraded u = rig.Upgrade(rig.Path(ExecRequest(false, true, false)), {kV4});
    ASSERT_EQ(u.response.code, 101);
    ASSERT_TRUE(u.transport->WriteAll(g.bytes.data(), g.bytes.size()).ok());
    auto [bytes, closed] = testing::ReadUntilClosed(*u.transport);
    EXPECT_TRUE(closed) << "the server kept the connection";
    // What came back before the end: a GOAWAY saying why.
    spdy::FrameParser parser;
    parser.Feed(bytes);
    std::optional<spdy::GoAwayFrame> goaway;
    for (;;) {
      Result<std::optional<spdy::Frame>> f = parser.Next();
      ASSERT_TRUE(f.ok()) << f.status().ToString();
      if (!f->has_value()) break;
      if (auto* ga = std::get_if<spdy::GoAwayFrame>(&**f)) goaway = *ga;
    }
    ASSERT_TRUE(goaway.has_value());
    EXPECT_EQ(goaway->status, spdy::GoAwayStatus::kProtocolError);
    EXPECT_TRUE(rig.Drained());
  }
  EXPECT_EQ(writes_failed.load(), static_cast<int>(garbage.size()));
  EXPECT_EQ(rig.backend.exec_calls.load(), static_cast<int>(garbage.size()));
  // A fresh connection with a new token still works.
  auto c = rig.Session(ExecRequest(false, true, false));
  ExecStreams s = OpenExecStreams(*c, false, true, false);
  EXPECT_EQ(Text(ReadToEnd(s.out)), "fine");
  EXPECT_EQ(ParseStatus(ReadToEnd(s.error))["status"], "Success");
}

TEST(StreamServerTest, SilentClientIsDroppedAfterTheHandshakeTimeout) {
  ServerOptions options;
  options.handshake_timeout = 100ms;
  ServerRig rig(options);
  auto t = testing::ConnectTcp(rig.server().port());
  auto [bytes, closed] = testing::ReadUntilClosed(*t);
  EXPECT_TRUE(closed);
  EXPECT_EQ(bytes, "");
  EXPECT_TRUE(rig.Drained());
}

// The server's end of the connection whose client end is on local port
// `client_port`: this process's descriptors hold both.
int ServerSideFd(uint16_t client_port) {
  for (int fd = 0; fd < 65536; ++fd) {
    sockaddr_in peer{};
    socklen_t len = sizeof peer;
    if (getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &len) == 0 &&
        peer.sin_family == AF_INET && ntohs(peer.sin_port) == client_port) {
      return fd;
    }
  }
  return -1;
}

// Every SPDY frame is one write; with Nagle's algorithm on, the second of
// two small frames (the two SYN_REPLYs of a port-forward pair) waited for
// the client's delayed ACK: 100 pairs one after another took 4.5 s instead
// of 0.4 s.
TEST(StreamServerTest, AcceptedConnectionsHaveNagleOff) {
  ServerRig rig;
  auto client = testing::ConnectTcp(rig.server().port());
  const uint16_t client_port = client->stream().local_endpoint().port();
  ASSERT_TRUE(Eventually([&] { return rig.server().ActiveConnections() == 1; }));
  int fd = ServerSideFd(client_port);
  ASSERT_GE(fd, 0);
  int nodelay = 0;
  socklen_t len = sizeof nodelay;
  ASSERT_EQ(getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &nodelay, &len), 0);
  EXPECT_NE(nodelay, 0);
}

TEST(StreamServerTest, ConnectionsPastTheLimitAreRefused) {
  ServerOptions options;
  options.max_connections = 2;
  ServerRig rig(options);
  auto a = testing::ConnectTcp(rig.server().port());
  auto b = testing::ConnectTcp(rig.server().port());
  ASSERT_TRUE(Eventually([&] { return rig.server().ActiveConnections() == 2; }));
  auto third = testing::ConnectTcp(rig.server().port());
  EXPECT_TRUE(testing::ReadUntilClosed(*third).second);
  // The first two are still served.
  std::string request =
      testing::UpgradeRequestText(rig.Path(ExecRequest(false, true, false)), {"v9"});
  EXPECT_EQ(testing::ExchangeUpgrade(std::move(a), request).response.code, 403);
}

// ---------------------------------------------------------------------------
// Many at once.

TEST(StreamServerTest, HundredConcurrentExecSessionsEachEchoTheirStdin) {
  constexpr int kSessions = 100;
  Counter started;
  ServerRig rig;
  rig.backend.exec = [&](const StreamRequest&, ExecIo& io) {
    // Every session is live at the same time before any echoes.
    started.Add();
    if (!started.WaitFor(kSessions)) return ExecOutcome{DeadlineExceeded("not all started"), {}};
    Echo(io);
    return ExecOutcome{OkStatus(), 0};
  };
  std::vector<std::future<void>> clients;
  for (int i = 0; i < kSessions; ++i) {
    clients.push_back(std::async(std::launch::async, [&rig, i] {
      auto c = rig.Session(ExecRequest(true, true, false));
      ASSERT_TRUE(c);
      ExecStreams s = OpenExecStreams(*c, true, true, false);
      std::string input;
      while (input.size() < 20000) input += "session " + std::to_string(i) + ";";
      ASSERT_TRUE(s.in->Write(input).ok());
      ASSERT_TRUE(s.in->CloseWrite().ok());
      EXPECT_EQ(Text(ReadToEnd(s.out, 40s)), input) << "session " << i;
      EXPECT_EQ(ParseStatus(ReadToEnd(s.error, 40s))["status"], "Success") << i;
    }));
  }
  for (auto& f : clients) f.get();
  EXPECT_EQ(rig.backend.exec_calls.load(), kSessions);
  EXPECT_TRUE(rig.Drained());
}

// ---------------------------------------------------------------------------
// Port-forward.

// The pod's ends of the connections the server dials, by port: each dial
// is a socketpair; the test takes the other end.
class FakePod {
 public:
  explicit FakePod(std::set<uint16_t> refused = {}) : refused_(std::move(refused)) {}

  Result<ScopedFd> Dial(uint16_t port) {
    if (refused_.count(port)) {
      return Unavailable("dial 127.0.0.1:" + std::to_string(port) + ": connection refused");
    }
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
      return ErrnoError("socketpair", errno);
    }
    std::lock_guard l(mu_);
    accepted_[port].emplace_back(sv[1]);
    cv_.notify_all();
    return ScopedFd(sv[0]);
  }

  // The pod's end of the next connection to `port`.
  ScopedFd Accept(uint16_t port) {
    std::unique_lock l(mu_);
    if (!cv_.wait_for(l, 20s, [&] { return !accepted_[port].empty(); })) {
      ADD_FAILURE() << "no connection to port " << port;
      return ScopedFd();
    }
    ScopedFd fd = std::move(accepted_[port].front());
    accepted_[port].erase(accepted_[port].begin());
    return fd;
  }

 private:
  const std::set<uint16_t> refused_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<uint16_t, std::vector<ScopedFd>> accepted_;  // guarded by mu_
};

void Send(const ScopedFd& fd, std::string_view data) {
  ASSERT_EQ(send(fd.get(), data.data(), data.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(data.size()));
}

// Reads `fd` until `n` bytes or its end, within 20 s.
std::string Recv(const ScopedFd& fd, size_t n = SIZE_MAX) {
  std::string out;
  char buf[4096];
  while (out.size() < n) {
    pollfd p{fd.get(), POLLIN, 0};
    if (poll(&p, 1, 20000) != 1) {
      ADD_FAILURE() << "nothing from the server on the pod's socket";
      break;
    }
    ssize_t r = recv(fd.get(), buf, std::min(sizeof buf, n - out.size()), 0);
    if (r <= 0) break;
    out.append(buf, static_cast<size_t>(r));
  }
  return out;
}

struct PortPair {
  std::shared_ptr<spdy::Stream> error, data;
};

PortPair OpenPair(ClientSession& c, uint16_t port, std::optional<int> request_id) {
  spdy::HeaderBlock error{{"streamType", "error"}, {"port", std::to_string(port)}};
  spdy::HeaderBlock data{{"streamType", "data"}, {"port", std::to_string(port)}};
  if (request_id) {
    error.Add("requestID", std::to_string(*request_id));
    data.Add("requestID", std::to_string(*request_id));
  }
  PortPair p;
  p.error = c.Open(error);
  p.data = c.Open(data);
  return p;
}

class PortForwardTest : public ::testing::Test {
 protected:
  void Serve(std::set<uint16_t> refused = {}) {
    pod_ = std::make_unique<FakePod>(std::move(refused));
    rig_.backend.dial = [this](const StreamRequest& r, uint16_t port) {
      EXPECT_EQ(r.sandbox_id, PortForwardRequest().sandbox_id);
      return pod_->Dial(port);
    };
    client_ = rig_.Session(PortForwardRequest(), kPortForward);
    ASSERT_TRUE(client_);
  }

  std::unique_ptr<FakePod> pod_;
  ServerRig rig_;
  std::unique_ptr<ClientSession> client_;
};

TEST_F(PortForwardTest, DataFlowsBothWaysAndHalfClosesEachDirection) {
  Serve();
  PortPair p = OpenPair(*client_, 8080, 0);
  ScopedFd pod = pod_->Accept(8080);
  ASSERT_TRUE(pod.valid());
  ASSERT_TRUE(p.data->Write("GET / HTTP/1.0\r\n\r\n").ok());
  EXPECT_EQ(Recv(pod, 18), "GET / HTTP/1.0\r\n\r\n");
  // The client's end of input reaches the pod as EOF, and the pod can still
  // answer after it.
  ASSERT_TRUE(p.data->CloseWrite().ok());
  EXPECT_EQ(Recv(pod), "");
  Send(pod, "HTTP/1.0 200 OK\r\n\r\nhello");
  pod.reset();
  EXPECT_EQ(Text(ReadToEnd(p.data)), "HTTP/1.0 200 OK\r\n\r\nhello");
  EXPECT_EQ(Text(ReadToEnd(p.error)), "");  // no error, just the end

  // The other way round: the pod ends first, the client keeps sending.
  PortPair q = OpenPair(*client_, 8080, 1);
  ScopedFd pod2 = pod_->Accept(8080);
  Send(pod2, "banner");
  ASSERT_EQ(shutdown(pod2.get(), SHUT_WR), 0);
  EXPECT_EQ(Text(ReadToEnd(q.data)), "banner");
  ASSERT_TRUE(q.data->Write("late words").ok());
  EXPECT_EQ(Recv(pod2, 10), "late words");
  ASSERT_TRUE(q.data->CloseWrite().ok());
  EXPECT_EQ(Recv(pod2), "");
  EXPECT_EQ(Text(ReadToEnd(q.error)), "");
  EXPECT_EQ(rig_.backend.dial_calls.load(), 2);
}

// A pod that writes and closes while the client keeps its side open (a
// download that ends at end of stream): the data stream's FIN passes the end
// on, and soon after the error stream ends too, which is what makes client-go
// close its local connection. The abandoned data stream is reset, so the
// session holds nothing of the pair.
TEST_F(PortForwardTest, PodClosingEndsThePairWithoutTheClientsEnd) {
  Serve();
  PortPair p = OpenPair(*client_, 8080, 0);
  ASSERT_TRUE(p.error->CloseWrite().ok());  // as client-go does: it never writes there
  ScopedFd pod = pod_->Accept(8080);
  ASSERT_TRUE(pod.valid());
  Send(pod, "hello");
  pod.reset();
  EXPECT_EQ(Text(ReadToEnd(p.data)), "hello");
  EXPECT_EQ(Text(ReadToEnd(p.error)), "");  // ended, though the client never sent FIN
  EXPECT_TRUE(Eventually([&] { return client_->session().open_streams() == 0; }))
      << client_->session().open_streams() << " streams still open";
  EXPECT_TRUE(client_->session().Ping(10s).ok());  // the session goes on
}

TEST_F(PortForwardTest, TwoPairsOnOneSessionAreIndependent) {
  Serve();
  // Opened interleaved: the request id, not the order, pairs them.
  spdy::HeaderBlock e0{{"streamType", "error"}, {"port", "8080"}, {"requestID", "0"}};
  spdy::HeaderBlock e1{{"streamType", "error"}, {"port", "9090"}, {"requestID", "1"}};
  spdy::HeaderBlock d1{{"streamType", "data"}, {"port", "9090"}, {"requestID", "1"}};
  spdy::HeaderBlock d0{{"streamType", "data"}, {"port", "8080"}, {"requestID", "0"}};
  auto err0 = client_->Open(e0), err1 = client_->Open(e1);
  auto data1 = client_->Open(d1), data0 = client_->Open(d0);
  ScopedFd pod0 = pod_->Accept(8080), pod1 = pod_->Accept(9090);
  ASSERT_TRUE(data0->Write("to 8080").ok());
  ASSERT_TRUE(data1->Write("to 9090").ok());
  EXPECT_EQ(Recv(pod1, 7), "to 9090");
  EXPECT_EQ(Recv(pod0, 7), "to 8080");
  Send(pod1, "from 9090");
  Send(pod0, "from 8080");
  EXPECT_EQ(Text(ReadStream(data0, 9)), "from 8080");
  EXPECT_EQ(Text(ReadStream(data1, 9)), "from 9090");
  // Ending one leaves the other going.
  pod0.reset();
  ASSERT_TRUE(data0->CloseWrite().ok());
  EXPECT_EQ(Text(ReadToEnd(data0)), "");
  EXPECT_EQ(Text(ReadToEnd(err0)), "");
  ASSERT_TRUE(data1->Write("still here").ok());
  EXPECT_EQ(Recv(pod1, 10), "still here");
}

TEST_F(PortForwardTest, DialErrorShowsOnThatPairOnly) {
  Serve({7});
  PortPair good = OpenPair(*client_, 8080, 0);
  ScopedFd pod = pod_->Accept(8080);
  PortPair bad = OpenPair(*client_, 7, 1);
  Result<std::string> message = ReadToEnd(bad.error);
  ASSERT_TRUE(message.ok());
  EXPECT_NE(message->find("connection refused"), std::string::npos) << *message;
  char b;
  EXPECT_FALSE(bad.data->Read(&b, 1).ok());  // the data stream is reset
  // The good pair and the session carry on.
  ASSERT_TRUE(good.data->Write("after the error").ok());
  EXPECT_EQ(Recv(pod, 15), "after the error");
  Send(pod, "reply");
  EXPECT_EQ(Text(ReadStream(good.data, 5)), "reply");
  EXPECT_TRUE(client_->session().Ping(10s).ok());
  pod.reset();
  ASSERT_TRUE(good.data->CloseWrite().ok());
  EXPECT_EQ(Text(ReadToEnd(good.data)), "");
  EXPECT_EQ(Text(ReadToEnd(good.error)), "");
}

TEST_F(PortForwardTest, WithoutRequestIdDataPairsWithTheErrorStreamBeforeIt) {
  Serve({1111});
  // Stream ids 1 and 3 (refused port), then 5 and 7.
  PortPair refused = OpenPair(*client_, 1111, std::nullopt);
  PortPair ok = OpenPair(*client_, 2222, std::nullopt);
  ASSERT_EQ(refused.data->id(), refused.error->id() + 2);
  ScopedFd pod = pod_->Accept(2222);
  Result<std::string> message = ReadToEnd(refused.error);
  ASSERT_TRUE(message.ok());
  EXPECT_NE(message->find("1111"), std::string::npos) << *message;
  ASSERT_TRUE(ok.data->Write("x").ok());
  EXPECT_EQ(Recv(pod, 1), "x");
  pod.reset();
  ASSERT_TRUE(ok.data->CloseWrite().ok());
  EXPECT_EQ(Text(ReadToEnd(ok.data)), "");
  EXPECT_EQ(Text(ReadToEnd(ok.error)), "");  // its own error stream saw none
}

// kubectl port-forward keeps one session for hours and opens a pair per
// connection it forwards: what a finished pair held must go with it, not
// when the session ends. A thread kept for each shows as its stack (MiBs of
// address space) staying mapped.
TEST_F(PortForwardTest, ManyConnectionsOneAfterAnotherLeaveNothingBehind) {
  constexpr int kConnections = 100;
  Serve();
  auto one = [&](int id) {
    PortPair p = OpenPair(*client_, 8080, id);
    ScopedFd pod = pod_->Accept(8080);
    Send(pod, "x");
    pod.reset();
    ASSERT_TRUE(p.data->CloseWrite().ok());
    EXPECT_EQ(Text(ReadToEnd(p.data)), "x");
    EXPECT_EQ(Text(ReadToEnd(p.error)), "");
  };
  one(0);  // the first one's one-time costs do not count
  const size_t mapped_before = testing::ProcStatusBytes("VmSize");
  for (int i = 1; i <= kConnections; ++i) one(i);
  // Signed: threads of earlier tests may unmap their stacks meanwhile.
  const int64_t grown = static_cast<int64_t>(testing::ProcStatusBytes("VmSize")) -
                        static_cast<int64_t>(mapped_before);
  EXPECT_LT(grown, int64_t{256} << 20)
      << kConnections << " connections left " << (grown >> 20) << " MiB mapped";
}

TEST_F(PortForwardTest, StreamsWithoutAUsablePortOrTypeAreRefused) {
  Serve();
  for (spdy::HeaderBlock h : {spdy::HeaderBlock{{"streamType", "data"}, {"port", "0"}},
                              spdy::HeaderBlock{{"streamType", "data"}, {"port", "70000"}},
                              spdy::HeaderBlock{{"streamType", "data"}, {"port", "80x"}},
                              spdy::HeaderBlock{{"streamType", "stdin"}, {"port", "80"}}}) {
    auto s = client_->Open(h);
    char b;
    EXPECT_FALSE(s->Read(&b, 1).ok());
  }
  EXPECT_EQ(rig_.backend.dial_calls.load(), 0);
  EXPECT_TRUE(client_->session().Ping(10s).ok());
}

// ---------------------------------------------------------------------------
// TLS.

TEST(StreamServerTest, ExecOverTls) {
  Result<TempDir> dir = TempDir::Create("/tmp", "berth-tls-");
  ASSERT_TRUE(dir.ok());
  ServerOptions options;
  options.tls_cert_file = dir->path() + "/cert.pem";
  options.tls_key_file = dir->path() + "/key.pem";
  testing::WriteSelfSignedCert(options.tls_cert_file, options.tls_key_file);
  ServerRig rig(options);
  rig.backend.exec = [](const StreamRequest&, ExecIo& io) {
    Echo(io);
    return ExecOutcome{OkStatus(), 3};
  };
  std::string url = rig.Url(ExecRequest(true, true, false));
  EXPECT_EQ(url.rfind("https://127.0.0.1:" + std::to_string(rig.server().port()) + "/exec/", 0), 0u)
      << url;

  auto tls = testing::TlsClientTransport::Connect(rig.server().port());
  ASSERT_TRUE(tls.ok()) << tls.status().ToString();
  Upgraded u = testing::ExchangeUpgrade(std::move(*tls),
                                        testing::UpgradeRequestText(testing::PathOf(url), {kV4}));
  ASSERT_EQ(u.response.code, 101);
  ClientSession c(std::move(u.transport));
  ExecStreams s = OpenExecStreams(c, true, true, false);
  // Reads and writes cross on the one TLS connection (the handler echoes
  // while stdin still comes).
  std::string input(512 * 1024, 'q');
  auto out = std::async(std::launch::async, [&] { return ReadToEnd(s.out); });
  ASSERT_TRUE(s.in->Write(input).ok());
  ASSERT_TRUE(s.in->CloseWrite().ok());
  std::string echoed = Text(out.get());
  EXPECT_EQ(echoed.size(), input.size());
  EXPECT_TRUE(echoed == input);
  EXPECT_EQ(ParseStatus(ReadToEnd(s.error))["details"]["causes"][0]["message"], "3");

  // Plain HTTP to the TLS port gets nowhere.
  auto plain = testing::ConnectTcp(rig.server().port());
  std::string request =
      testing::UpgradeRequestText(rig.Path(ExecRequest(true, true, false)), {kV4});
  ASSERT_TRUE(plain->WriteAll(request.data(), request.size()).ok());
  auto [bytes, closed] = testing::ReadUntilClosed(*plain);
  EXPECT_TRUE(closed);
  EXPECT_EQ(bytes.find("HTTP/1.1 101"), std::string::npos);
  EXPECT_EQ(rig.backend.exec_calls.load(), 1);
}

TEST(StreamServerTest, BadCertificateFailsStartNamingIt) {
  ServerOptions options;
  options.tls_cert_file = "/nonexistent/cert.pem";
  options.tls_key_file = "/nonexistent/key.pem";
  StreamServer server(options, Handlers{});
  Status s = server.Start();
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_NE(s.message().find("/nonexistent/cert.pem"), std::string::npos) << s.ToString();
}

// ---------------------------------------------------------------------------
// Stop.

// Runs Stop on a thread of its own and waits for it. A Stop that does not
// return leaves the server to its stuck threads (leaked: destroying it would
// wait forever too), so the test fails instead of hanging.
bool StopsWithin(std::unique_ptr<ServerRig>& rig, std::chrono::milliseconds timeout = 20s) {
  auto done = std::make_shared<std::promise<void>>();
  std::future<void> stopped = done->get_future();
  std::thread([&server = rig->server(), done] {
    server.Stop();
    done->set_value();
  }).detach();
  if (stopped.wait_for(timeout) == std::future_status::ready) return true;
  (void)rig.release();
  return false;
}

TEST(StreamServerTest, StopEndsLiveSessionsAndTheirHandlersSeeTheHangup) {
  constexpr int kSessions = 3;
  Counter started;
  std::atomic<int> hung_up{0};
  auto rig = std::make_unique<ServerRig>();
  rig->backend.exec = [&](const StreamRequest&, ExecIo& io) {
    started.Add();
    if (WaitHangup(io.hangup)) ++hung_up;
    return ExecOutcome{OkStatus(), 0};
  };
  std::vector<std::unique_ptr<ClientSession>> clients;
  std::vector<ExecStreams> streams;
  for (int i = 0; i < kSessions; ++i) {
    clients.push_back(rig->Session(ExecRequest(true, true, false)));
    streams.push_back(OpenExecStreams(*clients.back(), true, true, false));
  }
  // And one connection that has not even sent its request.
  auto idle = testing::ConnectTcp(rig->server().port());
  ASSERT_TRUE(started.WaitFor(kSessions));
  ASSERT_TRUE(StopsWithin(rig)) << "Stop did not return";
  EXPECT_EQ(hung_up.load(), kSessions);
  EXPECT_EQ(rig->server().ActiveConnections(), 0u);
  for (auto& c : clients) EXPECT_TRUE(c->EndsWithin(10s));
  EXPECT_TRUE(testing::ReadUntilClosed(*idle).second);
  rig->server().Stop();  // idempotent
}

// Stop while stdin streams in: the connection's reader is busy with frames
// rather than waiting in a read most of the time, which is when a server
// whose I/O threads may run out of work loses them (and then waits for its
// connections forever).
TEST(StreamServerTest, StopWhileDataFlowsReturns) {
  for (int round = 0; round < 10; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    Counter reading;
    auto rig = std::make_unique<ServerRig>();
    rig->backend.exec = [&](const StreamRequest&, ExecIo& io) {
      reading.Add();
      (void)Drain(io.stdin);
      return ExecOutcome{OkStatus(), 0};
    };
    auto c = rig->Session(ExecRequest(true, true, false));
    ExecStreams s = OpenExecStreams(*c, true, true, false);
    auto pump = std::async(std::launch::async, [in = s.in] {
      const std::string chunk(64 * 1024, 'p');
      while (in->Write(chunk).ok()) {
      }
    });
    ASSERT_TRUE(reading.WaitFor(1));
    EXPECT_TRUE(StopsWithin(rig)) << "Stop did not return";
    c->Close();
    pump.get();
    if (HasFailure()) return;
  }
}

}  // namespace
}  // namespace berth::streaming
