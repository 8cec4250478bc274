// SPDY/3.1 framing: the frames the kubelet's streaming protocol uses, their
// wire encoding, and an incremental parser that turns bytes from a socket
// into frames.
//
// Header blocks travel here still compressed: the compression state belongs
// to the connection (spdy_header_block.h), so the framing layer only carries
// the bytes. Everything is big-endian; stream ids and window deltas are 31
// bits (the top bit of their word is reserved and ignored on input).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "pkg/base/status.h"

namespace berth::streaming::spdy {

// SPDY/3.1 keeps the version number 3 in its control frames.
inline constexpr uint16_t kVersion = 3;
inline constexpr size_t kFrameHeaderSize = 8;
inline constexpr uint32_t kMaxStreamId = 0x7fffffff;
inline constexpr uint32_t kMaxPayload = 0xffffff;  // 24-bit length field

enum class FrameType : uint16_t {
  kSynStream = 1,
  kSynReply = 2,
  kRstStream = 3,
  kSettings = 4,
  kPing = 6,
  kGoAway = 7,
  kHeaders = 8,
  kWindowUpdate = 9,
};

inline constexpr uint8_t kFlagFin = 0x01;             // DATA, SYN_STREAM, SYN_REPLY, HEADERS
inline constexpr uint8_t kFlagUnidirectional = 0x02;  // SYN_STREAM
inline constexpr uint8_t kFlagClearSettings = 0x01;   // SETTINGS

// RST_STREAM status codes. The enum holds any 32-bit value a peer sends.
enum class RstStatus : uint32_t {
  kProtocolError = 1,
  kInvalidStream = 2,
  kRefusedStream = 3,
  kUnsupportedVersion = 4,
  kCancel = 5,
  kInternalError = 6,
  kFlowControlError = 7,
  kStreamInUse = 8,
  kStreamAlreadyClosed = 9,
  kInvalidCredentials = 10,
  kFrameTooLarge = 11,
};

enum class GoAwayStatus : uint32_t {
  kOk = 0,
  kProtocolError = 1,
  kInternalError = 2,
};

struct DataFrame {
  uint32_t stream_id = 0;
  bool fin = false;
  std::string data;
  bool operator==(const DataFrame&) const = default;
};

struct SynStreamFrame {
  uint32_t stream_id = 0;
  uint32_t associated_stream_id = 0;
  uint8_t priority = 0;  // 0 (highest) .. 7
  uint8_t slot = 0;
  uint8_t flags = 0;         // kFlagFin | kFlagUnidirectional
  std::string header_block;  // compressed
  bool operator==(const SynStreamFrame&) const = default;
};

struct SynReplyFrame {
  uint32_t stream_id = 0;
  uint8_t flags = 0;         // kFlagFin
  std::string header_block;  // compressed
  bool operator==(const SynReplyFrame&) const = default;
};

struct RstStreamFrame {
  uint32_t stream_id = 0;
  RstStatus status = RstStatus::kCancel;
  bool operator==(const RstStreamFrame&) const = default;
};

struct Setting {
  uint8_t flags = 0;
  uint32_t id = 0;  // 24 bits
  uint32_t value = 0;
  bool operator==(const Setting&) const = default;
};

struct SettingsFrame {
  uint8_t flags = 0;  // kFlagClearSettings
  std::vector<Setting> settings;
  bool operator==(const SettingsFrame&) const = default;
};

struct PingFrame {
  uint32_t id = 0;
  bool operator==(const PingFrame&) const = default;
};

struct GoAwayFrame {
  uint32_t last_good_stream_id = 0;
  GoAwayStatus status = GoAwayStatus::kOk;
  bool operator==(const GoAwayFrame&) const = default;
};

struct HeadersFrame {
  uint32_t stream_id = 0;
  uint8_t flags = 0;         // kFlagFin
  std::string header_block;  // compressed
  bool operator==(const HeadersFrame&) const = default;
};

// stream_id 0 is the session-level window (new in SPDY/3.1).
struct WindowUpdateFrame {
  uint32_t stream_id = 0;
  uint32_t delta = 0;  // 1 .. 2^31-1
  bool operator==(const WindowUpdateFrame&) const = default;
};

using Frame = std::variant<DataFrame, SynStreamFrame, SynReplyFrame, RstStreamFrame, SettingsFrame,
                           PingFrame, GoAwayFrame, HeadersFrame, WindowUpdateFrame>;

// "DATA", "SYN_STREAM", ... for messages.
std::string_view FrameName(const Frame& frame);
// "CANCEL", "PROTOCOL_ERROR", ... ("status N" for codes SPDY/3 does not define).
std::string RstStatusName(RstStatus status);

// Appends the wire form of `frame` to `out`. InvalidArgument when a field
// cannot be encoded (a stream id past 31 bits, priority > 7, a payload past
// 24 bits, a zero stream id where the protocol forbids one); `out` is then
// unchanged.
Status AppendFrame(const Frame& frame, std::string* out);
// The DATA frame without building a DataFrame.
Status AppendDataFrame(uint32_t stream_id, bool fin, std::string_view data, std::string* out);
// Only its 8-byte header, for a payload of `length` bytes sent right behind
// it (the session's write path: the payload is never copied).
Status AppendDataFrameHeader(uint32_t stream_id, bool fin, size_t length, std::string* out);

struct ParserLimits {
  // Largest control frame payload accepted (header blocks are the big ones).
  uint32_t max_control_payload = 1 << 20;
  // Largest DATA frame payload accepted; the protocol's own limit by default.
  uint32_t max_data_payload = kMaxPayload;
  // A DATA payload comes out in pieces of at most this many bytes (see Next).
  uint32_t data_chunk = 32 * 1024;
};

// Incremental parser: Feed bytes as they arrive, then call Next until it has
// no whole frame. Memory stays within one control frame (max_control_payload)
// or one DATA chunk plus what was fed and not yet taken.
//
// A DATA frame longer than `data_chunk` comes out as consecutive DataFrames
// for the same stream, FIN only on the last: DATA boundaries carry no meaning
// in SPDY, and this keeps a 16 MiB frame from being buffered whole. Control
// frames of an unknown type are skipped (the spec says to ignore them)
// without being buffered.
class FrameParser {
 public:
  explicit FrameParser(ParserLimits limits = {});

  void Feed(const void* data, size_t len);
  void Feed(std::string_view data) { Feed(data.data(), data.size()); }

  // The next frame, std::nullopt when more bytes are needed. A malformed or
  // oversized frame is InvalidArgument naming the frame and the fault; the
  // error is sticky (the stream cannot be resynchronised after it).
  Result<std::optional<Frame>> Next();

  // Bytes fed but not yet returned as frames.
  size_t buffered() const { return buf_.size() - pos_; }
  // Between frames: no partial frame fed (an end of input here is clean).
  bool idle() const { return buffered() == 0 && !in_data_ && skip_remaining_ == 0; }

 private:
  Result<std::optional<Frame>> Fail(std::string message);
  Result<std::optional<Frame>> NextDataHeader();
  Result<std::optional<Frame>> NextDataChunk();
  Result<std::optional<Frame>> NextControl();
  void Consume(size_t n);

  ParserLimits limits_;
  std::string buf_;
  size_t pos_ = 0;  // start of unconsumed bytes in buf_
  // Inside a DATA frame whose payload is still coming out in chunks.
  uint32_t data_stream_ = 0;
  bool data_fin_ = false;
  uint32_t data_remaining_ = 0;
  bool in_data_ = false;
  uint32_t skip_remaining_ = 0;  // payload of an unknown control frame left to drop
  Status error_;
};

}  // namespace berth::streaming::spdy
