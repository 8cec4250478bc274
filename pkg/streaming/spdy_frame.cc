#include "pkg/streaming/spdy_frame.h"

#include <algorithm>
#include <cstring>
#include <iterator>
#include <memory>
#include <type_traits>

namespace berth::streaming::spdy {
namespace {

constexpr uint32_t kReservedBit = 0x80000000;

void PutU8(std::string* out, uint8_t v) {
  out->push_back(static_cast<char>(v));
}
void PutU16(std::string* out, uint16_t v) {
  PutU8(out, static_cast<uint8_t>(v >> 8));
  PutU8(out, static_cast<uint8_t>(v));
}
void PutU32(std::string* out, uint32_t v) {
  PutU16(out, static_cast<uint16_t>(v >> 16));
  PutU16(out, static_cast<uint16_t>(v));
}
// Flags in the top byte, length in the low 24 bits: the second word of every frame.
void PutFlagsAndLength(std::string* out, uint8_t flags, uint32_t length) {
  PutU32(out, (static_cast<uint32_t>(flags) << 24) | length);
}

uint32_t GetU32(const char* p) {
  auto b = reinterpret_cast<const unsigned char*>(p);
  return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | uint32_t{b[3]};
}

Status BadField(std::string_view frame, std::string_view what) {
  return InvalidArgument("spdy: cannot encode " + std::string(frame) + ": " + std::string(what));
}

Status CheckStreamId(std::string_view frame, uint32_t id, bool zero_allowed) {
  if (id > kMaxStreamId)
    return BadField(frame, "stream id " + std::to_string(id) + " exceeds 31 bits");
  if (id == 0 && !zero_allowed) return BadField(frame, "stream id 0");
  return OkStatus();
}

Status CheckPayload(std::string_view frame, size_t size) {
  if (size > kMaxPayload) {
    return BadField(frame, "payload of " + std::to_string(size) + " bytes exceeds 24 bits");
  }
  return OkStatus();
}

void PutControlHeader(std::string* out, FrameType type, uint8_t flags, uint32_t length) {
  PutU16(out, static_cast<uint16_t>(0x8000 | kVersion));
  PutU16(out, static_cast<uint16_t>(type));
  PutFlagsAndLength(out, flags, length);
}

// One encoder per frame type; each checks its fields before writing a byte.
Status Encode(const DataFrame& f, std::string* out) {
  return AppendDataFrame(f.stream_id, f.fin, f.data, out);
}

Status Encode(const SynStreamFrame& f, std::string* out) {
  BERTH_RETURN_IF_ERROR(CheckStreamId("SYN_STREAM", f.stream_id, false));
  BERTH_RETURN_IF_ERROR(CheckStreamId("SYN_STREAM", f.associated_stream_id, true));
  if (f.priority > 7) return BadField("SYN_STREAM", "priority above 7");
  BERTH_RETURN_IF_ERROR(CheckPayload("SYN_STREAM", f.header_block.size() + 10));
  PutControlHeader(out, FrameType::kSynStream, f.flags,
                   static_cast<uint32_t>(f.header_block.size() + 10));
  PutU32(out, f.stream_id);
  PutU32(out, f.associated_stream_id);
  PutU8(out, static_cast<uint8_t>(f.priority << 5));  // 3 bits of priority, 5 unused
  PutU8(out, f.slot);
  out->append(f.header_block);
  return OkStatus();
}

// SYN_REPLY and HEADERS share a layout: stream id, then the header block.
Status EncodeIdAndBlock(std::string_view name, FrameType type, uint32_t id, uint8_t flags,
                        const std::string& block, std::string* out) {
  BERTH_RETURN_IF_ERROR(CheckStreamId(name, id, false));
  BERTH_RETURN_IF_ERROR(CheckPayload(name, block.size() + 4));
  PutControlHeader(out, type, flags, static_cast<uint32_t>(block.size() + 4));
  PutU32(out, id);
  out->append(block);
  return OkStatus();
}

Status Encode(const SynReplyFrame& f, std::string* out) {
  return EncodeIdAndBlock("SYN_REPLY", FrameType::kSynReply, f.stream_id, f.flags, f.header_block,
                          out);
}

Status Encode(const HeadersFrame& f, std::string* out) {
  return EncodeIdAndBlock("HEADERS", FrameType::kHeaders, f.stream_id, f.flags, f.header_block,
                          out);
}

Status Encode(const RstStreamFrame& f, std::string* out) {
  BERTH_RETURN_IF_ERROR(CheckStreamId("RST_STREAM", f.stream_id, false));
  if (static_cast<uint32_t>(f.status) == 0) return BadField("RST_STREAM", "status 0");
  PutControlHeader(out, FrameType::kRstStream, 0, 8);
  PutU32(out, f.stream_id);
  PutU32(out, static_cast<uint32_t>(f.status));
  return OkStatus();
}

Status Encode(const SettingsFrame& f, std::string* out) {
  for (const Setting& s : f.settings) {
    if (s.id > 0xffffff) return BadField("SETTINGS", "setting id exceeds 24 bits");
  }
  BERTH_RETURN_IF_ERROR(CheckPayload("SETTINGS", 4 + 8 * f.settings.size()));
  PutControlHeader(out, FrameType::kSettings, f.flags,
                   static_cast<uint32_t>(4 + 8 * f.settings.size()));
  PutU32(out, static_cast<uint32_t>(f.settings.size()));
  for (const Setting& s : f.settings) {
    PutFlagsAndLength(out, s.flags, s.id);  // same shape: 8-bit flags, 24-bit id
    PutU32(out, s.value);
  }
  return OkStatus();
}

Status Encode(const PingFrame& f, std::string* out) {
  PutControlHeader(out, FrameType::kPing, 0, 4);
  PutU32(out, f.id);
  return OkStatus();
}

Status Encode(const GoAwayFrame& f, std::string* out) {
  BERTH_RETURN_IF_ERROR(CheckStreamId("GOAWAY", f.last_good_stream_id, true));
  PutControlHeader(out, FrameType::kGoAway, 0, 8);
  PutU32(out, f.last_good_stream_id);
  PutU32(out, static_cast<uint32_t>(f.status));
  return OkStatus();
}

Status Encode(const WindowUpdateFrame& f, std::string* out) {
  BERTH_RETURN_IF_ERROR(CheckStreamId("WINDOW_UPDATE", f.stream_id, true));
  if (f.delta == 0 || f.delta > 0x7fffffff) return BadField("WINDOW_UPDATE", "delta out of range");
  PutControlHeader(out, FrameType::kWindowUpdate, 0, 8);
  PutU32(out, f.stream_id);
  PutU32(out, f.delta);
  return OkStatus();
}

std::string_view TypeName(uint16_t type) {
  switch (static_cast<FrameType>(type)) {
    case FrameType::kSynStream:
      return "SYN_STREAM";
    case FrameType::kSynReply:
      return "SYN_REPLY";
    case FrameType::kRstStream:
      return "RST_STREAM";
    case FrameType::kSettings:
      return "SETTINGS";
    case FrameType::kPing:
      return "PING";
    case FrameType::kGoAway:
      return "GOAWAY";
    case FrameType::kHeaders:
      return "HEADERS";
    case FrameType::kWindowUpdate:
      return "WINDOW_UPDATE";
  }
  return "";
}

bool KnownType(uint16_t type) {
  return !TypeName(type).empty();
}

// Checks one control frame's payload against its type's layout and decodes
// it. The caller has checked the version and the length limit.
Result<Frame> DecodeControl(uint16_t type, uint8_t flags, std::string_view p) {
  const std::string_view name = TypeName(type);
  auto fail = [&](std::string what) -> Status {
    return InvalidArgument("spdy: malformed " + std::string(name) + " frame: " + what);
  };
  auto need_exact = [&](size_t n) -> Status {
    if (p.size() == n) return OkStatus();
    return fail("length " + std::to_string(p.size()) + ", want " + std::to_string(n));
  };
  auto need_min = [&](size_t n) -> Status {
    if (p.size() >= n) return OkStatus();
    return fail("length " + std::to_string(p.size()) + " is shorter than " + std::to_string(n));
  };
  auto stream_id = [&](size_t at) { return GetU32(p.data() + at) & ~kReservedBit; };

  switch (static_cast<FrameType>(type)) {
    case FrameType::kSynStream: {
      BERTH_RETURN_IF_ERROR(need_min(10));
      SynStreamFrame f;
      f.stream_id = stream_id(0);
      f.associated_stream_id = stream_id(4);
      f.priority = static_cast<uint8_t>(static_cast<unsigned char>(p[8]) >> 5);
      f.slot = static_cast<uint8_t>(p[9]);
      f.flags = flags;
      f.header_block.assign(p.substr(10));
      if (f.stream_id == 0) return fail("stream id 0");
      return Frame(std::move(f));
    }
    case FrameType::kSynReply:
    case FrameType::kHeaders: {
      BERTH_RETURN_IF_ERROR(need_min(4));
      const uint32_t id = stream_id(0);
      if (id == 0) return fail("stream id 0");
      if (static_cast<FrameType>(type) == FrameType::kSynReply) {
        return Frame(SynReplyFrame{id, flags, std::string(p.substr(4))});
      }
      return Frame(HeadersFrame{id, flags, std::string(p.substr(4))});
    }
    case FrameType::kRstStream: {
      BERTH_RETURN_IF_ERROR(need_exact(8));
      RstStreamFrame f{stream_id(0), static_cast<RstStatus>(GetU32(p.data() + 4))};
      if (f.stream_id == 0) return fail("stream id 0");
      if (static_cast<uint32_t>(f.status) == 0) return fail("status 0");
      return Frame(f);
    }
    case FrameType::kSettings: {
      BERTH_RETURN_IF_ERROR(need_min(4));
      const uint32_t count = GetU32(p.data());
      // 64-bit arithmetic: a hostile count must not wrap into a match.
      if (uint64_t{count} * 8 + 4 != p.size()) {
        return fail(std::to_string(count) + " entries do not fill length " +
                    std::to_string(p.size()));
      }
      SettingsFrame f;
      f.flags = flags;
      f.settings.reserve(count);  // bounded: the length check above ties it to the payload
      for (size_t at = 4; at < p.size(); at += 8) {
        const uint32_t word = GetU32(p.data() + at);
        f.settings.push_back(
            Setting{static_cast<uint8_t>(word >> 24), word & 0xffffff, GetU32(p.data() + at + 4)});
      }
      return Frame(std::move(f));
    }
    case FrameType::kPing:
      BERTH_RETURN_IF_ERROR(need_exact(4));
      return Frame(PingFrame{GetU32(p.data())});
    case FrameType::kGoAway:
      BERTH_RETURN_IF_ERROR(need_exact(8));
      return Frame(GoAwayFrame{stream_id(0), static_cast<GoAwayStatus>(GetU32(p.data() + 4))});
    case FrameType::kWindowUpdate: {
      BERTH_RETURN_IF_ERROR(need_exact(8));
      WindowUpdateFrame f{stream_id(0), GetU32(p.data() + 4) & ~kReservedBit};
      if (f.delta == 0) return fail("delta 0");
      return Frame(f);
    }
  }
  return fail("unknown type");  // unreachable: the caller skips unknown types
}

}  // namespace

std::string_view FrameName(const Frame& frame) {
  return std::visit(
      [](const auto& f) -> std::string_view {
        using T = std::decay_t<decltype(f)>;
        if constexpr (std::is_same_v<T, DataFrame>) return "DATA";
        if constexpr (std::is_same_v<T, SynStreamFrame>) return "SYN_STREAM";
        if constexpr (std::is_same_v<T, SynReplyFrame>) return "SYN_REPLY";
        if constexpr (std::is_same_v<T, RstStreamFrame>) return "RST_STREAM";
        if constexpr (std::is_same_v<T, SettingsFrame>) return "SETTINGS";
        if constexpr (std::is_same_v<T, PingFrame>) return "PING";
        if constexpr (std::is_same_v<T, GoAwayFrame>) return "GOAWAY";
        if constexpr (std::is_same_v<T, HeadersFrame>) return "HEADERS";
        if constexpr (std::is_same_v<T, WindowUpdateFrame>) return "WINDOW_UPDATE";
      },
      frame);
}

std::string RstStatusName(RstStatus status) {
  static constexpr std::string_view kNames[] = {
      "PROTOCOL_ERROR",      "INVALID_STREAM", "REFUSED_STREAM",
      "UNSUPPORTED_VERSION", "CANCEL",         "INTERNAL_ERROR",
      "FLOW_CONTROL_ERROR",  "STREAM_IN_USE",  "STREAM_ALREADY_CLOSED",
      "INVALID_CREDENTIALS", "FRAME_TOO_LARGE"};
  const auto code = static_cast<uint32_t>(status);
  if (code >= 1 && code <= std::size(kNames)) return std::string(kNames[code - 1]);
  return "status " + std::to_string(code);
}

Status AppendFrame(const Frame& frame, std::string* out) {
  return std::visit([out](const auto& f) { return Encode(f, out); }, frame);
}

Status AppendDataFrameHeader(uint32_t stream_id, bool fin, size_t length, std::string* out) {
  BERTH_RETURN_IF_ERROR(CheckStreamId("DATA", stream_id, false));
  BERTH_RETURN_IF_ERROR(CheckPayload("DATA", length));
  PutU32(out, stream_id);  // top bit 0: a data frame
  PutFlagsAndLength(out, fin ? kFlagFin : 0, static_cast<uint32_t>(length));
  return OkStatus();
}

Status AppendDataFrame(uint32_t stream_id, bool fin, std::string_view data, std::string* out) {
  BERTH_RETURN_IF_ERROR(AppendDataFrameHeader(stream_id, fin, data.size(), out));
  out->append(data);
  return OkStatus();
}

FrameParser::FrameParser(ParserLimits limits) : limits_(limits) {
  limits_.data_chunk = std::max<uint32_t>(limits_.data_chunk, 1);
}

void FrameParser::Feed(const void* data, size_t len) {
  buf_.append(static_cast<const char*>(data), len);
}

void FrameParser::Consume(size_t n) {
  pos_ += n;
  // Drop consumed bytes once they dominate, so the buffer does not creep
  // while keeping the erase cost amortised.
  if (pos_ == buf_.size()) {
    buf_.clear();
    pos_ = 0;
  } else if (pos_ >= 64 * 1024 && pos_ * 2 >= buf_.size()) {
    buf_.erase(0, pos_);
    pos_ = 0;
  }
}

Result<std::optional<Frame>> FrameParser::Fail(std::string message) {
  error_ = InvalidArgument(std::move(message));
  return error_;
}

Result<std::optional<Frame>> FrameParser::NextDataChunk() {
  const uint32_t want = std::min(data_remaining_, limits_.data_chunk);
  if (buffered() < want) return std::optional<Frame>();
  DataFrame f;
  f.stream_id = data_stream_;
  f.data.assign(buf_, pos_, want);
  data_remaining_ -= want;
  f.fin = data_fin_ && data_remaining_ == 0;
  if (data_remaining_ == 0) in_data_ = false;
  Consume(want);
  return std::optional<Frame>(std::move(f));
}

Result<std::optional<Frame>> FrameParser::Next() {
  if (!error_.ok()) return error_;
  // A loop, not recursion: a run of unknown control frames is skipped in place.
  for (;;) {
    if (skip_remaining_ > 0) {
      const size_t n = std::min<size_t>(skip_remaining_, buffered());
      skip_remaining_ -= static_cast<uint32_t>(n);
      Consume(n);
      if (skip_remaining_ > 0) return std::optional<Frame>();
    }
    if (in_data_) return NextDataChunk();
    if (buffered() < kFrameHeaderSize) return std::optional<Frame>();
    const uint32_t word0 = GetU32(buf_.data() + pos_);
    if ((word0 & kReservedBit) == 0) return NextDataHeader();
    const uint16_t version = static_cast<uint16_t>((word0 >> 16) & 0x7fff);
    if (version != kVersion) {
      return Fail("spdy: control frame of version " + std::to_string(version) + ", want " +
                  std::to_string(kVersion));
    }
    if (KnownType(static_cast<uint16_t>(word0 & 0xffff))) return NextControl();
    skip_remaining_ = GetU32(buf_.data() + pos_ + 4) & kMaxPayload;
    Consume(kFrameHeaderSize);
  }
}

Result<std::optional<Frame>> FrameParser::NextDataHeader() {
  const char* head = buf_.data() + pos_;
  const uint32_t id = GetU32(head);
  const uint8_t flags = static_cast<uint8_t>(head[4]);
  const uint32_t length = GetU32(head + 4) & kMaxPayload;
  if (id == 0) return Fail("spdy: DATA frame on stream 0");
  if (length > limits_.max_data_payload) {
    return Fail("spdy: DATA frame of " + std::to_string(length) + " bytes exceeds the limit of " +
                std::to_string(limits_.max_data_payload));
  }
  Consume(kFrameHeaderSize);
  data_stream_ = id;
  data_fin_ = (flags & kFlagFin) != 0;
  data_remaining_ = length;
  if (length == 0) return std::optional<Frame>(DataFrame{id, data_fin_, {}});
  in_data_ = true;
  return NextDataChunk();
}

Result<std::optional<Frame>> FrameParser::NextControl() {
  const char* head = buf_.data() + pos_;
  const uint16_t type = static_cast<uint16_t>(GetU32(head) & 0xffff);
  const uint8_t flags = static_cast<uint8_t>(head[4]);
  const uint32_t length = GetU32(head + 4) & kMaxPayload;
  if (length > limits_.max_control_payload) {
    return Fail("spdy: " + std::string(TypeName(type)) + " frame of " + std::to_string(length) +
                " bytes exceeds the limit of " + std::to_string(limits_.max_control_payload));
  }
  if (buffered() < kFrameHeaderSize + length) return std::optional<Frame>();
  // Decoded from an exact-size copy: a decoder bug that reads past the
  // payload then reads past an allocation, which ASan reports in the tests
  // and the fuzzer, instead of silently reading the next frame's bytes.
  auto payload = std::make_unique<char[]>(length);
  std::memcpy(payload.get(), head + kFrameHeaderSize, length);
  Result<Frame> frame = DecodeControl(type, flags, std::string_view(payload.get(), length));
  if (!frame.ok()) return Fail(frame.status().message());
  Consume(kFrameHeaderSize + length);
  return std::optional<Frame>(std::move(frame).value());
}

}  // namespace berth::streaming::spdy
