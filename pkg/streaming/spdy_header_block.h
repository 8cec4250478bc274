// SPDY/3 name/value header blocks and their compression.
//
// A block is a 32-bit count of pairs, each a 32-bit length and a lower-case
// name, then a 32-bit length and the value; several values of one name are
// joined with NUL bytes. On the wire every block is zlib-compressed with the
// SPDY/3 dictionary, and each direction of a connection is ONE zlib stream
// that runs across all of its blocks (each block ends with a sync flush). So
// a connection owns one HeaderCompressor and one HeaderDecompressor, and the
// blocks must pass through them in the order their frames go over the wire.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pkg/base/status.h"

namespace berth::streaming::spdy {

// A decompressed block may not exceed this by default: a few hundred bytes of
// deflate can expand a thousandfold, and header blocks here are tiny.
inline constexpr size_t kMaxHeaderBlockBytes = 1 << 20;

class HeaderBlock {
 public:
  struct Entry {
    std::string name;  // lower-case, unique within the block
    std::vector<std::string> values;
    bool operator==(const Entry&) const = default;
  };

  HeaderBlock() = default;
  HeaderBlock(std::initializer_list<std::pair<std::string_view, std::string_view>> pairs);

  // Appends a value to `name` (ASCII-lower-cased), creating the entry if
  // needed. A value holding NUL bytes reads back as several values.
  void Add(std::string_view name, std::string_view value);
  // The first value of `name` (matched after lower-casing), if any.
  std::optional<std::string_view> Get(std::string_view name) const;
  const std::vector<Entry>& entries() const { return entries_; }
  bool empty() const { return entries_.empty(); }
  bool operator==(const HeaderBlock&) const = default;

 private:
  std::vector<Entry> entries_;
};

// The uncompressed wire form. InvalidArgument for an empty name.
Result<std::string> EncodeHeaderBlock(const HeaderBlock& block);
// Parses an uncompressed block. InvalidArgument naming the fault for a
// truncated block, bytes after the last pair, an empty or upper-case name, or
// a name that appears twice (all protocol errors in SPDY/3).
Result<HeaderBlock> DecodeHeaderBlock(std::string_view raw);

// The SPDY/3 zlib dictionary (1423 bytes), a protocol constant.
std::string_view HeaderDictionary();

// One direction's compression stream. Not thread-safe: the session calls it
// under its write lock, in wire order.
class HeaderCompressor {
 public:
  HeaderCompressor();
  ~HeaderCompressor();
  HeaderCompressor(const HeaderCompressor&) = delete;
  HeaderCompressor& operator=(const HeaderCompressor&) = delete;

  // The compressed block, ending in a sync flush so the peer can decode it
  // without waiting for more.
  Result<std::string> Compress(const HeaderBlock& block);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// The other direction. Output per block is capped at `max_block_bytes`;
// after any error the stream is out of step with the peer's and every later
// call fails too (the connection has to go).
class HeaderDecompressor {
 public:
  explicit HeaderDecompressor(size_t max_block_bytes = kMaxHeaderBlockBytes);
  ~HeaderDecompressor();
  HeaderDecompressor(const HeaderDecompressor&) = delete;
  HeaderDecompressor& operator=(const HeaderDecompressor&) = delete;

  Result<HeaderBlock> Decompress(std::string_view compressed);
  // Decompression alone (the block's raw bytes), for callers that parse later.
  Result<std::string> Inflate(std::string_view compressed);

 private:
  struct State;
  std::unique_ptr<State> state_;
  size_t max_block_bytes_;
};

}  // namespace berth::streaming::spdy
