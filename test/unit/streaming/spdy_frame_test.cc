#include "pkg/streaming/spdy_frame.h"

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <vector>

#include "test/unit/streaming/spdy_bytes.h"

namespace berth::streaming::spdy {
namespace {

using testing::Bytes;

std::vector<Frame> ParseAll(FrameParser& parser) {
  std::vector<Frame> frames;
  for (;;) {
    Result<std::optional<Frame>> next = parser.Next();
    EXPECT_TRUE(next.ok()) << next.status().ToString();
    if (!next.ok() || !next->has_value()) return frames;
    frames.push_back(std::move(**next));
  }
}

Status ParseError(const std::string& bytes, ParserLimits limits = {}) {
  FrameParser parser(limits);
  parser.Feed(bytes);
  for (;;) {
    Result<std::optional<Frame>> next = parser.Next();
    if (!next.ok()) return next.status();
    if (!next->has_value()) return OkStatus();
  }
}

// The wire bytes are written out by hand from the SPDY/3 frame layouts, so
// these tests check the serializer against the spec and not against itself.
struct KnownFrame {
  const char* name;
  Frame frame;
  std::string wire;
};

std::vector<KnownFrame> KnownFrames() {
  return {
      {"data_fin", DataFrame{1, true, "hi"}, Bytes({0, 0, 0, 1, 0x01, 0, 0, 2, 'h', 'i'})},
      {"syn_stream", SynStreamFrame{3, 0, 2, 0, kFlagFin, "abc"},
       // control bit + version 3, type 1, flags FIN, length 13; id; assoc; pri 2 << 5; slot
       Bytes({0x80, 3, 0, 1, 0x01, 0, 0, 13, 0, 0, 0, 3, 0, 0, 0, 0, 0x40, 0, 'a', 'b', 'c'})},
      {"syn_reply", SynReplyFrame{5, 0, "xy"},
       Bytes({0x80, 3, 0, 2, 0, 0, 0, 6, 0, 0, 0, 5, 'x', 'y'})},
      {"rst_stream", RstStreamFrame{7, RstStatus::kCancel},
       Bytes({0x80, 3, 0, 3, 0, 0, 0, 8, 0, 0, 0, 7, 0, 0, 0, 5})},
      {"settings", SettingsFrame{0, {Setting{1, 7, 65536}, Setting{0, 4, 100}}},
       Bytes({0x80, 3, 0, 4, 0, 0, 0, 20, 0, 0, 0, 2, 1, 0,
              0,    7, 0, 1, 0, 0, 0, 0,  0, 4, 0, 0, 0, 100})},
      {"ping", PingFrame{1}, Bytes({0x80, 3, 0, 6, 0, 0, 0, 4, 0, 0, 0, 1})},
      {"goaway", GoAwayFrame{9, GoAwayStatus::kProtocolError},
       Bytes({0x80, 3, 0, 7, 0, 0, 0, 8, 0, 0, 0, 9, 0, 0, 0, 1})},
      {"headers", HeadersFrame{3, kFlagFin, "z"},
       Bytes({0x80, 3, 0, 8, 0x01, 0, 0, 5, 0, 0, 0, 3, 'z'})},
      {"window_update_session", WindowUpdateFrame{0, 32768},
       Bytes({0x80, 3, 0, 9, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0x80, 0})},
  };
}

TEST(SpdyFrameTest, KnownFramesEncodeToTheSpecBytes) {
  for (const KnownFrame& k : KnownFrames()) {
    std::string out;
    ASSERT_TRUE(AppendFrame(k.frame, &out).ok()) << k.name;
    EXPECT_EQ(out, k.wire) << k.name;
  }
}

TEST(SpdyFrameTest, KnownBytesParseToTheFrames) {
  for (const KnownFrame& k : KnownFrames()) {
    FrameParser parser;
    parser.Feed(k.wire);
    std::vector<Frame> frames = ParseAll(parser);
    ASSERT_EQ(frames.size(), 1u) << k.name;
    EXPECT_EQ(frames[0], k.frame) << k.name;
    EXPECT_EQ(parser.buffered(), 0u) << k.name;
  }
}

TEST(SpdyFrameTest, RoundTripsAtFieldLimits) {
  const std::vector<Frame> frames = {
      DataFrame{kMaxStreamId, false, std::string(1000, 'x')},
      DataFrame{2, true, ""},
      SynStreamFrame{kMaxStreamId, kMaxStreamId, 7, 255, kFlagFin | kFlagUnidirectional, "blk"},
      SynReplyFrame{kMaxStreamId, kFlagFin, ""},
      RstStreamFrame{1, static_cast<RstStatus>(0xffffffff)},
      SettingsFrame{kFlagClearSettings, {}},
      SettingsFrame{0, {Setting{0xff, 0xffffff, 0xffffffff}}},
      PingFrame{0xffffffff},
      GoAwayFrame{kMaxStreamId, GoAwayStatus::kInternalError},
      HeadersFrame{1, 0, std::string(300, '\0')},
      WindowUpdateFrame{kMaxStreamId, 0x7fffffff},
  };
  std::string wire;
  for (const Frame& f : frames) ASSERT_TRUE(AppendFrame(f, &wire).ok()) << FrameName(f);
  FrameParser parser;
  parser.Feed(wire);
  EXPECT_EQ(ParseAll(parser), frames);
}

TEST(SpdyFrameTest, ParserTakesBytesOneAtATime) {
  std::string wire;
  std::vector<Frame> expected;
  for (const KnownFrame& k : KnownFrames()) {
    wire += k.wire;
    expected.push_back(k.frame);
  }
  FrameParser parser;
  std::vector<Frame> got;
  for (char c : wire) {
    parser.Feed(&c, 1);
    for (Frame& f : ParseAll(parser)) got.push_back(std::move(f));
  }
  EXPECT_EQ(got, expected);
}

TEST(SpdyFrameTest, ReservedBitsOfIdsAreIgnoredOnInput) {
  // Stream id, associated id and window delta each carry a reserved top bit.
  FrameParser parser;
  parser.Feed(Bytes({0x80, 3, 0, 1, 0, 0, 0, 10, 0x80, 0, 0, 3, 0x80, 0, 0, 1, 0, 0}));
  parser.Feed(Bytes({0x80, 3, 0, 9, 0, 0, 0, 8, 0x80, 0, 0, 5, 0x80, 0, 0, 1}));
  std::vector<Frame> frames = ParseAll(parser);
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(std::get<SynStreamFrame>(frames[0]).stream_id, 3u);
  EXPECT_EQ(std::get<SynStreamFrame>(frames[0]).associated_stream_id, 1u);
  EXPECT_EQ(std::get<WindowUpdateFrame>(frames[1]), (WindowUpdateFrame{5, 1}));
}

TEST(SpdyFrameTest, LongDataComesOutInChunksWithFinOnTheLast) {
  std::string payload(100 * 1024, '\0');
  for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>(i * 7);
  std::string wire;
  ASSERT_TRUE(AppendDataFrame(9, true, payload, &wire).ok());
  FrameParser parser(ParserLimits{.data_chunk = 32 * 1024});
  parser.Feed(wire);
  std::vector<Frame> frames = ParseAll(parser);
  ASSERT_EQ(frames.size(), 4u);
  std::string joined;
  for (size_t i = 0; i < frames.size(); ++i) {
    const auto& d = std::get<DataFrame>(frames[i]);
    EXPECT_EQ(d.stream_id, 9u);
    EXPECT_LE(d.data.size(), 32u * 1024);
    EXPECT_EQ(d.fin, i + 1 == frames.size());
    joined += d.data;
  }
  EXPECT_EQ(joined, payload);
}

TEST(SpdyFrameTest, DataChunkIsHeldUntilComplete) {
  // Half a chunk fed: nothing comes out yet, and the bytes are kept.
  std::string wire;
  ASSERT_TRUE(AppendDataFrame(1, false, std::string(1000, 'a'), &wire).ok());
  FrameParser parser;
  parser.Feed(wire.substr(0, 508));
  EXPECT_TRUE(ParseAll(parser).empty());
  EXPECT_EQ(parser.buffered(), 500u);
  parser.Feed(wire.substr(508));
  std::vector<Frame> frames = ParseAll(parser);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(std::get<DataFrame>(frames[0]).data, std::string(1000, 'a'));
}

TEST(SpdyFrameTest, UnknownControlFramesAreSkipped) {
  std::string wire;
  // CREDENTIAL (type 10, gone in SPDY/3.1) with a payload, then NOOP (type 5).
  wire += Bytes({0x80, 3, 0, 10, 0, 0, 0, 3, 1, 2, 3});
  wire += Bytes({0x80, 3, 0, 5, 0, 0, 0, 0});
  // A long run of empty unknown frames must not recurse or buffer.
  for (int i = 0; i < 100000; ++i) wire += Bytes({0x80, 3, 0x12, 0x34, 0, 0, 0, 0});
  wire += Bytes({0x80, 3, 0, 6, 0, 0, 0, 4, 0, 0, 0, 7});
  FrameParser parser;
  parser.Feed(wire);
  std::vector<Frame> frames = ParseAll(parser);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(std::get<PingFrame>(frames[0]).id, 7u);
}

TEST(SpdyFrameTest, UnknownFramePayloadIsDroppedAsItArrives) {
  FrameParser parser;
  parser.Feed(Bytes({0x80, 3, 0, 10, 0, 0x10, 0, 0}));  // 1 MiB of unknown payload
  parser.Feed(std::string(64 * 1024, 'x'));
  EXPECT_TRUE(ParseAll(parser).empty());
  EXPECT_EQ(parser.buffered(), 0u);
}

TEST(SpdyFrameTest, MalformedFramesAreRejectedWithTheirFault) {
  struct Case {
    std::string bytes;
    std::string message;
  };
  const std::vector<Case> cases = {
      {Bytes({0x80, 2, 0, 6, 0, 0, 0, 4, 0, 0, 0, 1}), "version 2"},
      {Bytes({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}), "version 32767"},
      {Bytes({0x80, 3, 0, 1, 0, 0, 0, 9, 0, 0, 0, 1, 0, 0, 0, 0, 0}), "SYN_STREAM"},
      {Bytes({0x80, 3, 0, 1, 0, 0, 0, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}), "stream id 0"},
      {Bytes({0x80, 3, 0, 2, 0, 0, 0, 3, 0, 0, 1}), "SYN_REPLY"},
      {Bytes({0x80, 3, 0, 3, 0, 0, 0, 4, 0, 0, 0, 1}), "RST_STREAM frame: length 4, want 8"},
      {Bytes({0x80, 3, 0, 3, 0, 0, 0, 8, 0, 0, 0, 1, 0, 0, 0, 0}), "status 0"},
      {Bytes({0x80, 3, 0, 4, 0, 0, 0, 12, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1, 0, 0, 0, 1}),
       "entries do not fill"},
      {Bytes({0x80, 3, 0, 6, 0, 0, 0, 5, 0, 0, 0, 1, 0}), "PING frame: length 5"},
      {Bytes({0x80, 3, 0, 7, 0, 0, 0, 4, 0, 0, 0, 1}), "GOAWAY frame: length 4"},
      {Bytes({0x80, 3, 0, 9, 0, 0, 0, 8, 0, 0, 0, 1, 0x80, 0, 0, 0}), "delta 0"},
      {Bytes({0, 0, 0, 0, 0, 0, 0, 1, 'x'}), "DATA frame on stream 0"},
  };
  for (const Case& c : cases) {
    Status st = ParseError(c.bytes);
    EXPECT_EQ(st.code(), Code::kInvalidArgument) << c.message;
    EXPECT_NE(st.message().find(c.message), std::string::npos) << st.message();
  }
}

TEST(SpdyFrameTest, OversizedFramesAreRejectedFromTheirHeader) {
  // Only the 8-byte header is fed: the limit applies before any payload is
  // buffered.
  Status control =
      ParseError(Bytes({0x80, 3, 0, 1, 0, 0, 0, 200}), ParserLimits{.max_control_payload = 100});
  EXPECT_NE(control.message().find("SYN_STREAM frame of 200 bytes exceeds the limit of 100"),
            std::string::npos)
      << control.message();
  Status data = ParseError(Bytes({0, 0, 0, 1, 0, 0, 0, 11}), ParserLimits{.max_data_payload = 10});
  EXPECT_NE(data.message().find("DATA frame of 11 bytes exceeds the limit of 10"),
            std::string::npos)
      << data.message();
}

TEST(SpdyFrameTest, TruncatedFrameWaitsAndErrorsAreSticky) {
  FrameParser parser;
  const std::string ping = Bytes({0x80, 3, 0, 6, 0, 0, 0, 4, 0, 0, 0, 1});
  parser.Feed(ping.substr(0, 10));
  EXPECT_TRUE(ParseAll(parser).empty());
  EXPECT_FALSE(parser.idle());
  parser.Feed(ping.substr(10));
  EXPECT_EQ(ParseAll(parser).size(), 1u);
  EXPECT_TRUE(parser.idle());

  parser.Feed(Bytes({0x80, 2, 0, 6, 0, 0, 0, 4, 0, 0, 0, 1}));  // bad version
  EXPECT_FALSE(parser.Next().ok());
  parser.Feed(ping);  // nothing valid after an error
  EXPECT_FALSE(parser.Next().ok());
}

TEST(SpdyFrameTest, SerializerRefusesUnencodableFields) {
  const std::vector<Frame> bad = {
      DataFrame{0, false, "x"},
      DataFrame{kMaxStreamId + 1, false, "x"},
      SynStreamFrame{1, 0, 8, 0, 0, ""},
      SynReplyFrame{0, 0, ""},
      RstStreamFrame{1, static_cast<RstStatus>(0)},
      WindowUpdateFrame{1, 0},
      WindowUpdateFrame{1, 0x80000000},
      SettingsFrame{0, {Setting{0, 0x1000000, 0}}},
      GoAwayFrame{kMaxStreamId + 1, GoAwayStatus::kOk},
  };
  for (const Frame& f : bad) {
    std::string out = "keep";
    EXPECT_EQ(AppendFrame(f, &out).code(), Code::kInvalidArgument) << FrameName(f);
    EXPECT_EQ(out, "keep") << FrameName(f);
  }
  std::string out;
  EXPECT_FALSE(AppendDataFrame(1, false, std::string(kMaxPayload + 1, 'x'), &out).ok());
}

TEST(SpdyFrameTest, RstStatusNames) {
  EXPECT_EQ(RstStatusName(RstStatus::kProtocolError), "PROTOCOL_ERROR");
  EXPECT_EQ(RstStatusName(RstStatus::kCancel), "CANCEL");
  EXPECT_EQ(RstStatusName(RstStatus::kFrameTooLarge), "FRAME_TOO_LARGE");
  EXPECT_EQ(RstStatusName(static_cast<RstStatus>(99)), "status 99");
}

}  // namespace
}  // namespace berth::streaming::spdy
