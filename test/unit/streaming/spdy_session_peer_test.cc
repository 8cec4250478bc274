// A server session against a peer that writes frames by hand: what the
// session puts on the wire, and what it does with input a well-behaved
// session never sends.
#include <gtest/gtest.h>

#include <future>
#include <string>

#include "pkg/streaming/spdy_session.h"
#include "test/unit/streaming/spdy_test_util.h"

namespace berth::streaming::spdy {
namespace {

using testing::RawPeerRig;

// The peer sees a GOAWAY(PROTOCOL_ERROR) naming `last_good`, then the end
// of the connection; Run returns InvalidArgument containing `fault`.
void ExpectProtocolError(RawPeerRig& rig, uint32_t last_good, const std::string& fault) {
  std::optional<GoAwayFrame> goaway = rig.peer().NextOf<GoAwayFrame>();
  ASSERT_TRUE(goaway.has_value());
  EXPECT_EQ(goaway->status, GoAwayStatus::kProtocolError);
  EXPECT_EQ(goaway->last_good_stream_id, last_good);
  EXPECT_FALSE(rig.peer().Next().has_value());  // then the connection closes
  rig.Join();
  EXPECT_EQ(rig.result().code(), Code::kInvalidArgument);
  EXPECT_NE(rig.result().message().find(fault), std::string::npos) << rig.result().message();
}

TEST(SpdySessionPeerTest, RepliesToEachStreamWithAnEmptyHeaderBlock) {
  RawPeerRig rig;
  rig.peer().Open(1, {{"streamtype", "error"}});
  rig.peer().Open(3, {{"streamtype", "stdout"}});
  for (uint32_t id : {1u, 3u}) {
    std::optional<SynReplyFrame> reply = rig.peer().NextOf<SynReplyFrame>();
    ASSERT_TRUE(reply.has_value());
    EXPECT_EQ(reply->stream_id, id);
    EXPECT_EQ(reply->flags, 0);
    Result<HeaderBlock> h = rig.peer().decompressor().Decompress(reply->header_block);
    ASSERT_TRUE(h.ok()) << h.status().ToString();
    EXPECT_TRUE(h->empty());
  }
  EXPECT_EQ(rig.NextAccepted()->headers().Get("streamtype"), "error");
  EXPECT_EQ(rig.NextAccepted()->headers().Get("streamtype"), "stdout");
}

TEST(SpdySessionPeerTest, ReadingReturnsWindowCreditForStreamAndSession) {
  RawPeerRig rig;
  rig.peer().Open(1, {{"streamtype", "stdin"}});
  auto s = rig.NextAccepted();
  rig.peer().Send(DataFrame{1, false, std::string(40000, 'a')});
  rig.peer().Send(DataFrame{1, false, std::string(25536, 'b')});
  std::string got;
  char buf[8192];
  while (got.size() < 65536) got.append(buf, s->Read(buf, sizeof buf).value());
  uint64_t stream_credit = 0, session_credit = 0;
  while (stream_credit < 65536 || session_credit < 65536) {
    std::optional<WindowUpdateFrame> w = rig.peer().NextOf<WindowUpdateFrame>();
    ASSERT_TRUE(w.has_value()) << "credit so far " << stream_credit << "/" << session_credit;
    (w->stream_id == 0 ? session_credit : stream_credit) += w->delta;
    EXPECT_TRUE(w->stream_id == 0 || w->stream_id == 1);
  }
  EXPECT_EQ(stream_credit, 65536u);
  EXPECT_EQ(session_credit, 65536u);
}

TEST(SpdySessionPeerTest, EchoesPeerPingsAndIgnoresSettingsWindowUpdatesAndUnknownFrames) {
  RawPeerRig rig;
  rig.peer().Send(SettingsFrame{0, {Setting{0, 7, 1}}});  // a 1-byte window: ignored
  rig.peer().Send(WindowUpdateFrame{0, 1000});
  rig.peer().SendBytes(std::string("\x80\x03\x00\x0a\x00\x00\x00\x02xy", 10));  // CREDENTIAL
  rig.peer().Send(PingFrame{7});
  std::optional<PingFrame> echo = rig.peer().NextOf<PingFrame>();
  ASSERT_TRUE(echo.has_value());
  EXPECT_EQ(echo->id, 7u);
  // The session still works, and sends past the 1-byte window.
  rig.peer().Open(1, {{"streamtype", "stdout"}});
  ASSERT_TRUE(rig.NextAccepted()->Write("beyond any window").ok());
  std::optional<DataFrame> data = rig.peer().NextOf<DataFrame>();
  ASSERT_TRUE(data.has_value());
  EXPECT_EQ(data->data, "beyond any window");
}

TEST(SpdySessionPeerTest, PingWithoutAnswerTimesOut) {
  RawPeerRig rig;
  EXPECT_EQ(rig.server().Ping(std::chrono::milliseconds(50)).code(), Code::kDeadlineExceeded);
  std::optional<PingFrame> ping = rig.peer().NextOf<PingFrame>();
  ASSERT_TRUE(ping.has_value());
  EXPECT_EQ(ping->id % 2, 0u);  // the server's pings are even
}

TEST(SpdySessionPeerTest, WritesAreSplitIntoFramesOfTheMaximumSize) {
  SessionOptions options;
  options.max_write_frame = 1000;
  RawPeerRig rig(options);
  rig.peer().Open(1, {{"streamtype", "stdout"}});
  auto s = rig.NextAccepted();
  ASSERT_TRUE(s->Write(std::string(2500, 'z')).ok());
  ASSERT_TRUE(s->CloseWrite().ok());
  std::vector<size_t> sizes;
  for (;;) {
    std::optional<DataFrame> d = rig.peer().NextOf<DataFrame>();
    ASSERT_TRUE(d.has_value());
    sizes.push_back(d->data.size());
    if (d->fin) break;
  }
  EXPECT_EQ(sizes, (std::vector<size_t>{1000, 1000, 500, 0}));
}

TEST(SpdySessionPeerTest, DataForAStreamThatNeverExistedIsRefused) {
  RawPeerRig rig;
  rig.peer().Send(DataFrame{5, false, "who?"});
  std::optional<RstStreamFrame> rst = rig.peer().NextOf<RstStreamFrame>();
  ASSERT_TRUE(rst.has_value());
  EXPECT_EQ(*rst, (RstStreamFrame{5, RstStatus::kInvalidStream}));
}

TEST(SpdySessionPeerTest, StreamsBeyondTheLimitAreRefused) {
  SessionOptions options;
  options.max_concurrent_streams = 1;
  RawPeerRig rig(options);
  rig.peer().Open(1, {{"streamtype", "stdin"}});
  rig.peer().Open(3, {{"streamtype", "stdout"}});
  std::optional<RstStreamFrame> rst = rig.peer().NextOf<RstStreamFrame>();
  ASSERT_TRUE(rst.has_value());
  EXPECT_EQ(*rst, (RstStreamFrame{3, RstStatus::kRefusedStream}));
  EXPECT_EQ(rig.server().open_streams(), 1u);
}

TEST(SpdySessionPeerTest, MalformedFrameEndsTheSessionWithGoAway) {
  RawPeerRig rig;
  rig.peer().Open(1, {{"streamtype", "stdin"}});
  auto s = rig.NextAccepted();
  auto reader = std::async(std::launch::async, [&] {
    char b;
    return s->Read(&b, 1).status();
  });
  rig.peer().SendBytes(std::string("\x80\x02\x00\x06\x00\x00\x00\x04\x00\x00\x00\x01", 12));
  ExpectProtocolError(rig, 1, "version 2");
  EXPECT_FALSE(reader.get().ok());  // the open stream saw the end
}

TEST(SpdySessionPeerTest, CorruptHeaderBlockEndsTheSessionWithGoAway) {
  RawPeerRig rig;
  SynStreamFrame f;
  f.stream_id = 1;
  f.header_block = "not a zlib stream";
  rig.peer().Send(f);
  ExpectProtocolError(rig, 0, "header block");
}

TEST(SpdySessionPeerTest, OversizedHeaderBlockEndsTheSessionWithGoAway) {
  SessionOptions options;
  options.max_header_block_bytes = 4096;
  RawPeerRig rig(options);
  rig.peer().Open(1, {{"x", std::string(10000, 'y')}});
  ExpectProtocolError(rig, 0, "inflates past 4096 bytes");
}

TEST(SpdySessionPeerTest, StreamIdsOutOfOrderOrOfTheWrongParityEndTheSession) {
  {
    RawPeerRig rig;
    rig.peer().Open(2, {{"streamtype", "stdin"}});  // even ids are the server's
    ExpectProtocolError(rig, 0, "this side's to number");
  }
  {
    RawPeerRig rig;
    rig.peer().Open(5, {{"streamtype", "stdin"}});
    rig.peer().Open(3, {{"streamtype", "stdout"}});
    ExpectProtocolError(rig, 5, "after stream 5");
  }
}

TEST(SpdySessionPeerTest, ConnectionCutInsideAFrameIsAnError) {
  RawPeerRig rig;
  rig.peer().SendBytes(std::string("\x80\x03\x00\x06\x00\x00", 6));
  rig.peer().Close();
  rig.Join();
  EXPECT_EQ(rig.result().code(), Code::kUnavailable);
  EXPECT_NE(rig.result().message().find("inside a frame"), std::string::npos);
}

TEST(SpdySessionPeerTest, PeerGoAwayRefusesLaterStreamsAndEndsWhenStreamsClose) {
  RawPeerRig rig;
  rig.peer().Open(1, {{"streamtype", "stdout"}});
  auto s = rig.NextAccepted();
  rig.peer().Send(GoAwayFrame{0, GoAwayStatus::kOk});
  rig.peer().Open(3, {{"streamtype", "stdin"}});
  std::optional<RstStreamFrame> rst = rig.peer().NextOf<RstStreamFrame>();
  ASSERT_TRUE(rst.has_value());
  EXPECT_EQ(*rst, (RstStreamFrame{3, RstStatus::kRefusedStream}));
  EXPECT_TRUE(rig.server().goaway_received());
  // Stream 1 finishes both ways; then the session ends by itself.
  ASSERT_TRUE(s->CloseWrite().ok());
  rig.peer().Send(DataFrame{1, true, ""});
  rig.Join();
  EXPECT_TRUE(rig.result().ok()) << rig.result().ToString();
}

}  // namespace
}  // namespace berth::streaming::spdy
