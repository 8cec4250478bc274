// Fuzz target: the SPDY frame parser and the header block decoders.
//
// Input: one selector byte, then bytes as they would come off the socket.
// The selector's low six bits cut the input into Feed calls of that many
// bytes (0: all at once) and its top two bits pick the DATA chunk size, so
// the parser's partial-frame paths are fuzzed and not just whole buffers.
//
// Beyond "no crash, no UB", each frame that parses must re-encode and parse
// back to itself, and a header block that decodes must re-encode to the same
// bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <variant>

#include "pkg/streaming/spdy_frame.h"
#include "pkg/streaming/spdy_header_block.h"

namespace {

using namespace berth::streaming::spdy;
using berth::Result;

void Check(bool ok) {
  if (!ok) std::abort();  // a broken property: let the sanitizer report where
}

const std::string* HeaderBlockOf(const Frame& frame) {
  if (auto* f = std::get_if<SynStreamFrame>(&frame)) return &f->header_block;
  if (auto* f = std::get_if<SynReplyFrame>(&frame)) return &f->header_block;
  if (auto* f = std::get_if<HeadersFrame>(&frame)) return &f->header_block;
  return nullptr;
}

void CheckRoundTrip(const Frame& frame) {
  std::string wire;
  Check(AppendFrame(frame, &wire).ok());
  FrameParser again(ParserLimits{.max_control_payload = kMaxPayload});
  again.Feed(wire);
  Result<std::optional<Frame>> back = again.Next();
  Check(back.ok() && back->has_value() && **back == frame && again.buffered() == 0);
}

void CheckHeaderBlock(const std::string& block, HeaderDecompressor& inflater) {
  // Through the connection's decompressor, as a session would (errors are
  // sticky there, like a session that has ended).
  (void)inflater.Decompress(block);
  // And as an uncompressed block, which random bytes reach far more often,
  // from an exact-size copy so that an overread is an ASan report.
  auto exact = std::make_unique<char[]>(block.size());
  std::memcpy(exact.get(), block.data(), block.size());
  Result<HeaderBlock> decoded = DecodeHeaderBlock(std::string_view(exact.get(), block.size()));
  if (!decoded.ok()) return;
  Result<std::string> encoded = EncodeHeaderBlock(*decoded);
  Check(encoded.ok() && *encoded == block);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t selector = data[0];
  const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  static constexpr uint32_t kChunks[] = {32 * 1024, 1, 7, 4096};
  ParserLimits limits;
  limits.max_control_payload = 64 * 1024;
  limits.data_chunk = kChunks[selector >> 6];
  FrameParser parser(limits);
  HeaderDecompressor inflater(64 * 1024);
  const size_t step = (selector & 63) == 0 ? input.size() : (selector & 63);

  for (size_t at = 0; at < input.size(); at += step) {
    parser.Feed(input.substr(at, step));
    for (;;) {
      Result<std::optional<Frame>> next = parser.Next();
      if (!next.ok()) return 0;  // malformed input ends a connection; fine
      if (!next->has_value()) break;
      const Frame& frame = **next;
      CheckRoundTrip(frame);
      if (const std::string* block = HeaderBlockOf(frame)) CheckHeaderBlock(*block, inflater);
      if (auto* d = std::get_if<DataFrame>(&frame)) Check(d->data.size() <= limits.data_chunk);
    }
  }
  return 0;
}
