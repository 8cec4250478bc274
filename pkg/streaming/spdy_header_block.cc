#include "pkg/streaming/spdy_header_block.h"

#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <unordered_set>

namespace berth::streaming::spdy {
namespace {

// The SPDY/3 dictionary is, byte for byte: each of these words preceded by
// its length as a 32-bit big-endian number, then the plain text of
// kDictionaryTail. Spelled as data rather than as one escaped literal so a
// wrong length prefix cannot hide in it; the unit test pins size and checksum.
constexpr std::string_view kDictionaryWords[] = {"options",
                                                 "head",
                                                 "post",
                                                 "put",
                                                 "delete",
                                                 "trace",
                                                 "accept",
                                                 "accept-charset",
                                                 "accept-encoding",
                                                 "accept-language",
                                                 "accept-ranges",
                                                 "age",
                                                 "allow",
                                                 "authorization",
                                                 "cache-control",
                                                 "connection",
                                                 "content-base",
                                                 "content-encoding",
                                                 "content-language",
                                                 "content-length",
                                                 "content-location",
                                                 "content-md5",
                                                 "content-range",
                                                 "content-type",
                                                 "date",
                                                 "etag",
                                                 "expect",
                                                 "expires",
                                                 "from",
                                                 "host",
                                                 "if-match",
                                                 "if-modified-since",
                                                 "if-none-match",
                                                 "if-range",
                                                 "if-unmodified-since",
                                                 "last-modified",
                                                 "location",
                                                 "max-forwards",
                                                 "pragma",
                                                 "proxy-authenticate",
                                                 "proxy-authorization",
                                                 "range",
                                                 "referer",
                                                 "retry-after",
                                                 "server",
                                                 "te",
                                                 "trailer",
                                                 "transfer-encoding",
                                                 "upgrade",
                                                 "user-agent",
                                                 "vary",
                                                 "via",
                                                 "warning",
                                                 "www-authenticate",
                                                 "method",
                                                 "get",
                                                 "status",
                                                 "200 OK",
                                                 "version",
                                                 "HTTP/1.1",
                                                 "url",
                                                 "public",
                                                 "set-cookie",
                                                 "keep-alive",
                                                 "origin"};

constexpr std::string_view kDictionaryTail =
    // status codes
    "100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505"
    // status lines
    "203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request"
    "401 Unauthorized403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented"
    "503 Service Unavailable"
    // dates
    "Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 "
    "Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT"
    // transfer and content types
    "chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,"
    "text/plain,text/javascript,"
    // cache, encodings, charsets
    "publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0.";

void PutU32(std::string* out, uint32_t v) {
  const char b[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16),
                     static_cast<char>(v >> 8), static_cast<char>(v)};
  out->append(b, 4);
}

std::string BuildDictionary() {
  std::string d;
  for (std::string_view w : kDictionaryWords) {
    PutU32(&d, static_cast<uint32_t>(w.size()));
    d.append(w);
  }
  d.append(kDictionaryTail);
  return d;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

Status Malformed(std::string what) {
  return InvalidArgument("spdy: malformed header block: " + std::move(what));
}

// Reads big-endian length-prefixed strings from a block, never past its end.
class BlockReader {
 public:
  explicit BlockReader(std::string_view raw) : raw_(raw) {}
  Result<uint32_t> U32(std::string_view what) {
    if (raw_.size() - pos_ < 4) return Malformed("truncated in " + std::string(what));
    auto b = reinterpret_cast<const unsigned char*>(raw_.data() + pos_);
    pos_ += 4;
    return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | b[3];
  }
  Result<std::string_view> Bytes(std::string_view what) {
    BERTH_ASSIGN_OR_RETURN(uint32_t len, U32(what));
    if (raw_.size() - pos_ < len) {
      return Malformed(std::string(what) + " of " + std::to_string(len) +
                       " bytes runs past the end");
    }
    std::string_view s = raw_.substr(pos_, len);
    pos_ += len;
    return s;
  }
  size_t left() const { return raw_.size() - pos_; }

 private:
  std::string_view raw_;
  size_t pos_ = 0;
};

std::string ZlibMessage(const z_stream& z, int rc) {
  return z.msg != nullptr ? z.msg : "zlib error " + std::to_string(rc);
}

}  // namespace

HeaderBlock::HeaderBlock(
    std::initializer_list<std::pair<std::string_view, std::string_view>> pairs) {
  for (const auto& [name, value] : pairs) Add(name, value);
}

void HeaderBlock::Add(std::string_view name, std::string_view value) {
  std::string lower = Lower(name);
  for (Entry& e : entries_) {
    if (e.name == lower) {
      e.values.emplace_back(value);
      return;
    }
  }
  entries_.push_back(Entry{std::move(lower), {std::string(value)}});
}

std::optional<std::string_view> HeaderBlock::Get(std::string_view name) const {
  const std::string lower = Lower(name);
  for (const Entry& e : entries_) {
    if (e.name == lower && !e.values.empty()) return std::string_view(e.values.front());
  }
  return std::nullopt;
}

Result<std::string> EncodeHeaderBlock(const HeaderBlock& block) {
  std::string out;
  PutU32(&out, static_cast<uint32_t>(block.entries().size()));
  for (const HeaderBlock::Entry& e : block.entries()) {
    if (e.name.empty()) return InvalidArgument("spdy: header with an empty name");
    std::string joined;
    for (size_t i = 0; i < e.values.size(); ++i) {
      if (i > 0) joined.push_back('\0');
      joined.append(e.values[i]);
    }
    if (e.name.size() > UINT32_MAX || joined.size() > UINT32_MAX) {
      return InvalidArgument("spdy: header " + e.name + " too long");
    }
    PutU32(&out, static_cast<uint32_t>(e.name.size()));
    out.append(e.name);
    PutU32(&out, static_cast<uint32_t>(joined.size()));
    out.append(joined);
  }
  return out;
}

Result<HeaderBlock> DecodeHeaderBlock(std::string_view raw) {
  BlockReader r(raw);
  BERTH_ASSIGN_OR_RETURN(uint32_t count, r.U32("the pair count"));
  HeaderBlock block;
  std::unordered_set<std::string_view> seen;  // views into `raw`
  // The loop is bounded by the bytes present (each pair takes at least 8),
  // not by the count, which is the peer's to choose.
  for (uint32_t i = 0; i < count; ++i) {
    BERTH_ASSIGN_OR_RETURN(std::string_view name, r.Bytes("a header name"));
    if (name.empty()) return Malformed("empty header name");
    if (std::any_of(name.begin(), name.end(), [](char c) { return c >= 'A' && c <= 'Z'; })) {
      return Malformed("upper-case header name");
    }
    if (!seen.insert(name).second) return Malformed("header name repeated");
    BERTH_ASSIGN_OR_RETURN(std::string_view value, r.Bytes("a header value"));
    // One entry per name; values split at NUL.
    for (size_t start = 0;;) {
      const size_t nul = value.find('\0', start);
      block.Add(name, value.substr(start, nul == std::string_view::npos ? nul : nul - start));
      if (nul == std::string_view::npos) break;
      start = nul + 1;
    }
  }
  if (r.left() != 0) return Malformed(std::to_string(r.left()) + " bytes after the last header");
  return block;
}

std::string_view HeaderDictionary() {
  static const std::string dictionary = BuildDictionary();
  return dictionary;
}

struct HeaderCompressor::State {
  z_stream z{};
  bool ok = false;
};

HeaderCompressor::HeaderCompressor() : state_(std::make_unique<State>()) {
  z_stream& z = state_->z;
  if (deflateInit(&z, Z_DEFAULT_COMPRESSION) != Z_OK) return;
  const std::string_view dict = HeaderDictionary();
  state_->ok = deflateSetDictionary(&z, reinterpret_cast<const Bytef*>(dict.data()),
                                    static_cast<uInt>(dict.size())) == Z_OK;
}

HeaderCompressor::~HeaderCompressor() {
  deflateEnd(&state_->z);
}

Result<std::string> HeaderCompressor::Compress(const HeaderBlock& block) {
  if (!state_->ok) return Internal("spdy: header compressor unusable");
  BERTH_ASSIGN_OR_RETURN(std::string raw, EncodeHeaderBlock(block));
  z_stream& z = state_->z;
  z.next_in = reinterpret_cast<Bytef*>(raw.data());
  z.avail_in = static_cast<uInt>(raw.size());
  std::string out;
  // Deflate until a call leaves output space unused: then all input is in and
  // the sync flush is complete.
  do {
    const size_t old = out.size();
    out.resize(old + 4096);
    z.next_out = reinterpret_cast<Bytef*>(out.data() + old);
    z.avail_out = 4096;
    const int rc = deflate(&z, Z_SYNC_FLUSH);
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      state_->ok = false;  // the stream is now out of step with the peer's
      return Internal("spdy: compressing header block: " + ZlibMessage(z, rc));
    }
    out.resize(old + 4096 - z.avail_out);
  } while (z.avail_out == 0);
  return out;
}

struct HeaderDecompressor::State {
  z_stream z{};
  Status broken;  // first failure; every later call repeats it
};

HeaderDecompressor::HeaderDecompressor(size_t max_block_bytes)
    : state_(std::make_unique<State>()), max_block_bytes_(max_block_bytes) {
  if (inflateInit(&state_->z) != Z_OK) state_->broken = Internal("spdy: inflateInit failed");
}

HeaderDecompressor::~HeaderDecompressor() {
  inflateEnd(&state_->z);
}

Result<std::string> HeaderDecompressor::Inflate(std::string_view compressed) {
  if (!state_->broken.ok()) return state_->broken;
  auto fail = [this](std::string what) -> Status {
    state_->broken = InvalidArgument("spdy: header block: " + std::move(what));
    return state_->broken;
  };
  z_stream& z = state_->z;
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  z.avail_in = static_cast<uInt>(compressed.size());
  std::string out;
  for (;;) {
    // Room for at most one byte past the cap, so a bomb is caught after
    // max+1 bytes of work rather than after it has all been inflated.
    const size_t room = std::min<size_t>(16 * 1024, max_block_bytes_ + 1 - out.size());
    const size_t old = out.size();
    out.resize(old + room);
    z.next_out = reinterpret_cast<Bytef*>(out.data() + old);
    z.avail_out = static_cast<uInt>(room);
    int rc = inflate(&z, Z_SYNC_FLUSH);
    if (rc == Z_NEED_DICT) {
      const std::string_view dict = HeaderDictionary();
      rc = inflateSetDictionary(&z, reinterpret_cast<const Bytef*>(dict.data()),
                                static_cast<uInt>(dict.size()));
      if (rc != Z_OK) return fail("peer compressed with a dictionary other than SPDY/3's");
      out.resize(old + room - z.avail_out);
      continue;
    }
    out.resize(old + room - z.avail_out);
    if (out.size() > max_block_bytes_) {
      return fail("inflates past " + std::to_string(max_block_bytes_) + " bytes");
    }
    if (rc == Z_STREAM_END) return fail("peer ended its compression stream");
    if (rc == Z_BUF_ERROR && z.avail_in == 0) break;  // all input used, nothing pending
    if (rc != Z_OK) return fail(ZlibMessage(z, rc));
    if (z.avail_in == 0 && z.avail_out > 0) break;
  }
  return out;
}

Result<HeaderBlock> HeaderDecompressor::Decompress(std::string_view compressed) {
  BERTH_ASSIGN_OR_RETURN(std::string raw, Inflate(compressed));
  return DecodeHeaderBlock(raw);
}

}  // namespace berth::streaming::spdy
