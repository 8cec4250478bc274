// A client session and a server session talking to each other.
#include "pkg/streaming/spdy_session.h"

#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>

#include <algorithm>
#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "test/unit/streaming/spdy_test_util.h"

namespace berth::streaming::spdy {
namespace {

using namespace std::chrono_literals;
using testing::ReadAll;
using testing::SessionPair;

std::string Pattern(size_t n, unsigned seed) {
  std::string s(n, '\0');
  uint32_t x = seed * 2654435761u + 1;
  for (char& c : s) {
    x = x * 1103515245u + 12345u;
    c = static_cast<char>(x >> 24);
  }
  return s;
}

std::shared_ptr<Stream> Open(Session& s, const HeaderBlock& h, bool fin = false) {
  Result<std::shared_ptr<Stream>> r = s.OpenStream(h, fin);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : nullptr;
}

SessionOptions StreamBuffer(size_t bytes) {
  SessionOptions options;
  options.stream_buffer_bytes = bytes;
  return options;
}

// Both sessions have forgotten every stream. A PING round trip each way
// first, so that the frames sent before it have been handled.
void ExpectNoOpenStreams(SessionPair& pair) {
  ASSERT_TRUE(pair.client().Ping(10s).ok());
  ASSERT_TRUE(pair.server().Ping(10s).ok());
  EXPECT_EQ(pair.client().open_streams(), 0u);
  EXPECT_EQ(pair.server().open_streams(), 0u);
}

TEST(SpdySessionTest, StreamCarriesItsHeadersAndIsReplied) {
  SessionPair pair;
  auto c = Open(pair.client(), {{"streamType", "stdin"}, {"port", "8080"}});
  ASSERT_TRUE(c);
  auto s = pair.NextAccepted();
  EXPECT_EQ(s->id(), c->id());
  EXPECT_EQ(c->id() % 2, 1u);  // the client numbers odd
  EXPECT_FALSE(s->locally_opened());
  EXPECT_EQ(s->headers().Get("streamtype"), "stdin");
  EXPECT_EQ(s->headers().Get("port"), "8080");
  EXPECT_TRUE(c->WaitReply().ok());
  EXPECT_TRUE(c->reply_headers().empty());
}

TEST(SpdySessionTest, DataFlowsBothWaysAndFinHalfCloses) {
  SessionPair pair;
  auto c = Open(pair.client(), {{"streamtype", "stdout"}});
  auto s = pair.NextAccepted();
  ASSERT_TRUE(c->Write("hello ").ok());
  ASSERT_TRUE(c->Write("server").ok());
  ASSERT_TRUE(c->CloseWrite().ok());
  EXPECT_EQ(ReadAll(*s).value(), "hello server");
  // The client's half is closed; the server's still works.
  EXPECT_EQ(c->Write("more").code(), Code::kFailedPrecondition);
  ASSERT_TRUE(s->Write("hello client").ok());
  ASSERT_TRUE(s->CloseWrite().ok());
  EXPECT_EQ(ReadAll(*c).value(), "hello client");
  // Reading past the FIN keeps returning 0.
  char b;
  EXPECT_EQ(s->Read(&b, 1).value(), 0u);
  // Closed both ways, the stream is forgotten on both sides.
  ExpectNoOpenStreams(pair);
}

TEST(SpdySessionTest, ResetWakesTheOtherSidesReader) {
  SessionPair pair;
  auto c = Open(pair.client(), {{"streamtype", "stdin"}});
  auto s = pair.NextAccepted();
  auto reader = std::async(std::launch::async, [&] { return ReadAll(*s); });
  ASSERT_TRUE(c->Write("partial").ok());
  ASSERT_TRUE(c->Reset().ok());
  Result<std::string> got = reader.get();
  ASSERT_FALSE(got.ok());
  EXPECT_NE(got.status().message().find("reset by peer (CANCEL)"), std::string::npos)
      << got.status().message();
  // The resetting side's own calls fail too.
  EXPECT_FALSE(c->Write("x").ok());
  char b;
  EXPECT_FALSE(c->Read(&b, 1).ok());
  ExpectNoOpenStreams(pair);
}

TEST(SpdySessionTest, ServerCanRefuseAStream) {
  SessionPair pair;
  auto c = Open(pair.client(), {{"streamtype", "bogus"}});
  auto s = pair.NextAccepted();
  ASSERT_TRUE(s->Reset(RstStatus::kRefusedStream).ok());
  char b;
  Result<size_t> r = c->Read(&b, 1);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("REFUSED_STREAM"), std::string::npos);
}

TEST(SpdySessionTest, PingIsAnsweredBothWays) {
  SessionPair pair;
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(pair.client().Ping(10s).ok());
    EXPECT_TRUE(pair.server().Ping(10s).ok());
  }
}

TEST(SpdySessionTest, GoAwayWithNoStreamsEndsBothSessions) {
  SessionPair pair;
  ASSERT_TRUE(pair.server().GoAway().ok());
  pair.Join();  // both Run calls return by themselves
  EXPECT_TRUE(pair.server_result().ok()) << pair.server_result().ToString();
  EXPECT_TRUE(pair.client_result().ok()) << pair.client_result().ToString();
  EXPECT_TRUE(pair.client().goaway_received());
  EXPECT_FALSE(pair.client().OpenStream({{"streamtype", "stdin"}}).ok());
}

TEST(SpdySessionTest, GoAwayLetsOpenStreamsFinishAndRefusesNewOnes) {
  SessionPair pair;
  auto c = Open(pair.client(), {{"streamtype", "stdout"}});
  auto s = pair.NextAccepted();
  ASSERT_TRUE(pair.server().GoAway().ok());
  // The client learns of the GOAWAY on its read loop; a PING from it that is
  // answered was read after the GOAWAY.
  ASSERT_TRUE(pair.client().Ping(10s).ok());
  EXPECT_TRUE(pair.client().goaway_received());
  EXPECT_EQ(pair.client().OpenStream({{"streamtype", "stdin"}}).status().code(),
            Code::kFailedPrecondition);
  // The stream opened before carries on.
  ASSERT_TRUE(s->Write("still here").ok());
  ASSERT_TRUE(s->CloseWrite().ok());
  EXPECT_EQ(ReadAll(*c).value(), "still here");
  ASSERT_TRUE(c->CloseWrite().ok());
  EXPECT_EQ(ReadAll(*s).value(), "");
  // With the last stream closed the connection ends on its own.
  pair.Join();
  EXPECT_TRUE(pair.server_result().ok()) << pair.server_result().ToString();
  EXPECT_TRUE(pair.client_result().ok()) << pair.client_result().ToString();
}

TEST(SpdySessionTest, HundredConcurrentStreamsEchoTheirOwnData) {
  SessionPair pair;
  constexpr int kStreams = 100;
  // Server: one echo thread per stream.
  std::vector<std::thread> echoes;
  std::thread acceptor([&] {
    for (int i = 0; i < kStreams; ++i) {
      echoes.emplace_back([s = pair.NextAccepted()] {
        Result<std::string> in = ReadAll(*s);
        ASSERT_TRUE(in.ok()) << in.status().ToString();
        ASSERT_TRUE(s->Write(std::string(s->headers().Get("name").value()) + ":" + *in).ok());
        ASSERT_TRUE(s->CloseWrite().ok());
      });
    }
  });
  std::vector<std::shared_ptr<Stream>> streams;
  for (int i = 0; i < kStreams; ++i) {
    streams.push_back(Open(pair.client(), {{"name", std::to_string(i)}}));
    ASSERT_TRUE(streams.back());
  }
  std::vector<std::thread> writers;
  for (int i = 0; i < kStreams; ++i) {
    writers.emplace_back([&, i] {
      ASSERT_TRUE(streams[i]->Write(Pattern(40000 + i, i)).ok());
      ASSERT_TRUE(streams[i]->CloseWrite().ok());
    });
  }
  for (int i = 0; i < kStreams; ++i) {
    Result<std::string> back = ReadAll(*streams[i]);
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(*back, std::to_string(i) + ":" + Pattern(40000 + i, i)) << "stream " << i;
  }
  for (auto& t : writers) t.join();
  acceptor.join();
  for (auto& t : echoes) t.join();
  ExpectNoOpenStreams(pair);
}

TEST(SpdySessionTest, SlowConsumerBoundsMemoryAndBlocksTheProducer) {
  const SessionOptions server_options = StreamBuffer(64 * 1024);
  SessionPair pair(server_options);
  auto c = Open(pair.client(), {{"streamtype", "stdin"}});
  auto s = pair.NextAccepted();
  // Far more than the buffer plus both socket buffers can hold.
  const std::string data = Pattern(16 << 20, 7);
  auto writer = std::async(std::launch::async, [&] { return c->Write(data); });
  // Nobody reads: the writer must still be stuck after a while (this bounded
  // wait is for an event that must not happen), and the stream must hold no
  // more than its bound.
  EXPECT_EQ(writer.wait_for(500ms), std::future_status::timeout);
  EXPECT_LE(s->buffered(), server_options.stream_buffer_bytes);
  EXPECT_GT(s->buffered(), 0u);
  // Draining lets it finish, without the buffer ever passing the bound.
  std::string got;
  char buf[4096];
  size_t peak = 0;
  while (got.size() < data.size()) {
    peak = std::max(peak, s->buffered());
    Result<size_t> n = s->Read(buf, sizeof buf);
    ASSERT_TRUE(n.ok()) << n.status().ToString();
    ASSERT_GT(*n, 0u);
    got.append(buf, *n);
  }
  ASSERT_TRUE(writer.get().ok());
  EXPECT_LE(peak, server_options.stream_buffer_bytes);
  EXPECT_TRUE(got == data);
}

TEST(SpdySessionTest, LargeUploadDoesNotStall) {
  SessionPair pair;
  auto c = Open(pair.client(), {{"streamtype", "stdin"}});
  auto s = pair.NextAccepted();
  constexpr size_t kTotal = size_t{1} << 30;
  const std::string block = Pattern(1 << 20, 3);
  auto writer = std::async(std::launch::async, [&] {
    for (size_t sent = 0; sent < kTotal; sent += block.size()) {
      Status st = c->Write(block);
      if (!st.ok()) return st;
    }
    return c->CloseWrite();
  });
  size_t received = 0;
  uint64_t sum = 0;
  std::vector<char> buf(64 * 1024);
  for (;;) {
    Result<size_t> n = s->Read(buf.data(), buf.size());
    ASSERT_TRUE(n.ok()) << n.status().ToString();
    if (*n == 0) break;
    for (size_t i = 0; i < *n; ++i) sum += static_cast<unsigned char>(buf[i]);
    received += *n;
  }
  ASSERT_TRUE(writer.get().ok());
  EXPECT_EQ(received, kTotal);
  uint64_t want = 0;
  for (char ch : block) want += static_cast<unsigned char>(ch);
  EXPECT_EQ(sum, want * (kTotal / block.size()));
}

TEST(SpdySessionTest, CloseWakesBlockedReadersAndWriters) {
  const SessionOptions server_options = StreamBuffer(16 * 1024);
  SessionPair pair(server_options);
  auto reading = Open(pair.client(), {{"streamtype", "stdout"}});
  auto writing = Open(pair.client(), {{"streamtype", "stdin"}});
  pair.NextAccepted();
  pair.NextAccepted();  // never read: the writer below blocks
  auto reader = std::async(std::launch::async, [&] {
    char b;
    return reading->Read(&b, 1).status();
  });
  auto writer = std::async(std::launch::async, [&] { return writing->Write(Pattern(8 << 20, 1)); });
  EXPECT_EQ(writer.wait_for(200ms), std::future_status::timeout);
  pair.client().Close();
  EXPECT_FALSE(reader.get().ok());
  EXPECT_FALSE(writer.get().ok());
  pair.server().Close();
  pair.Join();
  EXPECT_TRUE(pair.client_result().ok()) << pair.client_result().ToString();
  EXPECT_FALSE(pair.client().OpenStream({{"a", "b"}}).ok());
  EXPECT_FALSE(pair.client().Ping(1s).ok());
}

TEST(SpdySessionTest, PeerEndingTheConnectionFailsUnfinishedStreamsOnly) {
  SessionPair pair;
  auto finished = Open(pair.client(), {{"streamtype", "stdout"}});
  auto unfinished = Open(pair.client(), {{"streamtype", "stderr"}});
  auto s1 = pair.NextAccepted();
  auto s2 = pair.NextAccepted();
  ASSERT_TRUE(s1->Write("all of it").ok());
  ASSERT_TRUE(s1->CloseWrite().ok());
  ASSERT_TRUE(s2->Write("part").ok());
  ASSERT_TRUE(pair.client().Ping(10s).ok());  // both frames are in by now
  pair.server().Close();
  pair.Join();
  // Data that came with its FIN stays readable; data without one errors at
  // its end.
  EXPECT_EQ(ReadAll(*finished).value(), "all of it");
  char buf[16];
  EXPECT_EQ(unfinished->Read(buf, sizeof buf).value(), 4u);
  EXPECT_FALSE(unfinished->Read(buf, sizeof buf).ok());
}

TEST(SpdySessionTest, StreamsOutliveTheirSession) {
  std::shared_ptr<Stream> c;
  {
    SessionPair pair;
    c = Open(pair.client(), {{"streamtype", "stdin"}});
    pair.NextAccepted();
  }
  EXPECT_FALSE(c->Write("late").ok());
  EXPECT_FALSE(c->CloseWrite().ok());
  char b;
  EXPECT_FALSE(c->Read(&b, 1).ok());
  EXPECT_TRUE(c->Reset().ok());
}

TEST(SpdySessionTest, DestroyingTheSessionWakesABlockedReader) {
  testing::ConnectedSockets sockets;
  auto server = std::make_unique<Session>(
      std::make_unique<testing::LocalTransport>(std::move(*sockets.a)), Role::kServer);
  Session client(std::make_unique<testing::LocalTransport>(std::move(*sockets.b)), Role::kClient);
  testing::StreamQueue accepted;
  std::thread server_run([&] { (void)server->Run([&](auto s) { accepted.Push(std::move(s)); }); });
  std::thread client_run([&] { (void)client.Run(); });
  auto c = Open(client, {{"streamtype", "stdin"}});
  auto s = accepted.Next();
  auto reader = std::async(std::launch::async, [&] {
    char b;
    return s->Read(&b, 1).status();
  });
  EXPECT_EQ(reader.wait_for(100ms), std::future_status::timeout);
  server.reset();  // closes, and waits for Run on the other thread to return
  EXPECT_EQ(reader.get().code(), Code::kUnavailable);
  server_run.join();
  EXPECT_FALSE(s->Write("x").ok());
  client.Close();
  client_run.join();
}

TEST(SpdySessionTest, RunsOverTcpSockets) {
  using boost::asio::ip::tcp;
  boost::asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(boost::asio::ip::address_v4::loopback(), 0));
  tcp::socket client_socket(io);
  client_socket.connect(acceptor.local_endpoint());
  Session server(std::make_unique<AsioTransport<tcp::socket>>(acceptor.accept()), Role::kServer);
  Session client(std::make_unique<AsioTransport<tcp::socket>>(std::move(client_socket)),
                 Role::kClient);
  testing::StreamQueue accepted;
  std::thread server_run([&] { (void)server.Run([&](auto s) { accepted.Push(std::move(s)); }); });
  std::thread client_run([&] { (void)client.Run(); });
  auto c = Open(client, {{"streamtype", "stdin"}});
  auto s = accepted.Next();
  const std::string data = Pattern(3 << 20, 5);
  auto writer = std::async(std::launch::async, [&] {
    Status st = c->Write(data);
    return st.ok() ? c->CloseWrite() : st;
  });
  EXPECT_TRUE(ReadAll(*s).value() == data);
  EXPECT_TRUE(writer.get().ok());
  client.Close();
  server_run.join();  // the server sees the connection end
  client_run.join();
}

TEST(SpdySessionTest, CancelReadUnblocksTheReaderAndDropsLaterData) {
  const SessionOptions server_options = StreamBuffer(16 * 1024);
  SessionPair pair(server_options);
  auto c = Open(pair.client(), {{"streamtype", "stdin"}});
  auto s = pair.NextAccepted();
  auto reader = std::async(std::launch::async, [&] {
    char b;
    Result<size_t> first = s->Read(&b, 1);  // gets the first byte
    if (!first.ok()) return first.status();
    return s->Read(&b, 1).status();  // blocks until CancelRead
  });
  ASSERT_TRUE(c->Write("x").ok());
  EXPECT_EQ(reader.wait_for(100ms), std::future_status::timeout);
  s->CancelRead();
  EXPECT_EQ(reader.get().code(), Code::kCancelled);
  // Data nobody will read does not wedge the session: far more than the
  // buffer goes through, and another stream still works afterwards.
  ASSERT_TRUE(c->Write(Pattern(1 << 20, 2)).ok());
  EXPECT_EQ(s->buffered(), 0u);
  auto c2 = Open(pair.client(), {{"streamtype", "stdout"}});
  auto s2 = pair.NextAccepted();
  ASSERT_TRUE(c2->Write("fine").ok());
  ASSERT_TRUE(c2->CloseWrite().ok());
  EXPECT_EQ(ReadAll(*s2).value(), "fine");
}

}  // namespace
}  // namespace berth::streaming::spdy
