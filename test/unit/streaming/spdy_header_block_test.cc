#include "pkg/streaming/spdy_header_block.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <initializer_list>
#include <string>
#include <vector>

#include "test/unit/streaming/spdy_bytes.h"

namespace berth::streaming::spdy {
namespace {

using testing::Bytes;

// U32 length + text, as the block layout spells each name and value.
std::string Str(std::string_view s) {
  const auto n = static_cast<uint32_t>(s.size());
  return Bytes({static_cast<int>(n >> 24), static_cast<int>((n >> 16) & 0xff),
                static_cast<int>((n >> 8) & 0xff), static_cast<int>(n & 0xff)}) +
         std::string(s);
}

TEST(SpdyHeaderBlockTest, DictionaryIsTheSpdy3One) {
  const std::string_view d = HeaderDictionary();
  EXPECT_EQ(d.size(), 1423u);
  // 0xe3c6a7c2 is the adler32 of the dictionary as published with SPDY/3
  // (computed from an independent copy), and the DICTID that SPDY/3 peers
  // put in their zlib headers.
  EXPECT_EQ(adler32(1, reinterpret_cast<const Bytef*>(d.data()), static_cast<uInt>(d.size())),
            0xe3c6a7c2u);
  EXPECT_EQ(d.substr(0, 11), Str("options"));
  EXPECT_TRUE(d.ends_with("utf-,*,enq=0."));
}

TEST(SpdyHeaderBlockTest, EncodesToTheSpecLayout) {
  HeaderBlock block;
  block.Add("streamType", "stdin");  // names are lower-cased
  block.Add("X-Multi", "1");
  block.Add("x-multi", "2");  // same name: one entry, values NUL-joined
  Result<std::string> raw = EncodeHeaderBlock(block);
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(*raw, Bytes({0, 0, 0, 2}) + Str("streamtype") + Str("stdin") + Str("x-multi") +
                      Str(std::string("1\0"
                                      "2",
                                      3)));
}

TEST(SpdyHeaderBlockTest, DecodesHandBuiltBlock) {
  const std::string raw = Bytes({0, 0, 0, 2}) + Str("port") + Str("8080") + Str("requestid") +
                          Str(std::string("a\0b\0", 4));
  Result<HeaderBlock> block = DecodeHeaderBlock(raw);
  ASSERT_TRUE(block.ok()) << block.status().ToString();
  ASSERT_EQ(block->entries().size(), 2u);
  EXPECT_EQ(block->Get("port"), "8080");
  EXPECT_EQ(block->Get("PORT"), "8080");
  EXPECT_EQ(block->entries()[1].values, (std::vector<std::string>{"a", "b", ""}));
  EXPECT_FALSE(block->Get("missing").has_value());
}

TEST(SpdyHeaderBlockTest, DecodeRejectsMalformedBlocks) {
  struct Case {
    std::string raw;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"", "truncated in the pair count"},
      {Bytes({0, 0, 0, 2}) + Str("a") + Str("b"), "truncated in a header name"},
      {Bytes({0, 0, 0, 1}) + Str("a") + Str("b") + "x", "1 bytes after the last header"},
      {Bytes({0, 0, 0, 1}) + Str("Upper") + Str("b"), "upper-case header name"},
      {Bytes({0, 0, 0, 1}) + Str("") + Str("b"), "empty header name"},
      {Bytes({0, 0, 0, 2}) + Str("a") + Str("1") + Str("a") + Str("2"), "header name repeated"},
      {Bytes({0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 'a'}), "runs past the end"},
      // A count of four billion with nothing behind it fails at once.
      {Bytes({0xff, 0xff, 0xff, 0xff}), "truncated in a header name"},
  };
  for (const Case& c : cases) {
    Result<HeaderBlock> block = DecodeHeaderBlock(c.raw);
    ASSERT_FALSE(block.ok()) << c.message;
    EXPECT_EQ(block.status().code(), Code::kInvalidArgument);
    EXPECT_NE(block.status().message().find(c.message), std::string::npos)
        << block.status().message();
  }
  HeaderBlock empty_name;
  empty_name.Add("", "x");
  EXPECT_FALSE(EncodeHeaderBlock(empty_name).ok());
}

TEST(SpdyHeaderBlockTest, BlocksShareOneZlibStreamPerDirection) {
  const std::vector<HeaderBlock> blocks = {
      {{"streamtype", "error"}},
      {{"streamtype", "stdin"}},
      {{"streamtype", "stdout"}, {"port", "8080"}, {"requestid", "0"}},
      {},
      {{"streamtype", "stdout"}, {"port", "8080"}, {"requestid", "0"}},
  };
  HeaderCompressor compressor;
  HeaderDecompressor decompressor;
  std::vector<std::string> wire;
  for (const HeaderBlock& b : blocks) {
    Result<std::string> c = compressor.Compress(b);
    ASSERT_TRUE(c.ok());
    wire.push_back(*c);
    Result<HeaderBlock> back = decompressor.Decompress(*c);
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(*back, b);
  }
  // The first block opens the zlib stream with the SPDY/3 dictionary's id.
  ASSERT_GE(wire[0].size(), 6u);
  EXPECT_NE(static_cast<unsigned char>(wire[0][1]) & 0x20, 0) << "FDICT flag";
  EXPECT_EQ(wire[0].substr(2, 4), Bytes({0xe3, 0xc6, 0xa7, 0xc2}));
  // Every block ends with a sync flush, so the peer can decode it now.
  for (const std::string& w : wire) EXPECT_TRUE(w.ends_with(Bytes({0, 0, 0xff, 0xff})));
  // A repeat of an earlier block refers back to it: smaller, and useless to a
  // decompressor that has not seen what came before.
  EXPECT_LT(wire[4].size(), wire[2].size());
  HeaderDecompressor fresh;
  EXPECT_FALSE(fresh.Decompress(wire[4]).ok());
}

TEST(SpdyHeaderBlockTest, DecodesBlocksFromAnotherCompressor) {
  // Two consecutive blocks of one stream, compressed by a different zlib
  // user (level 9, as Go's spdy framer uses) with the published dictionary.
  const std::string first = Bytes({0x78, 0xf9, 0xe3, 0xc6, 0xa7, 0xc2, 0x02, 0xa6, 0x23, 0x46,
                                   0x70, 0x3a, 0x2b, 0x29, 0x4a, 0x4d, 0xcc, 0x85, 0x16, 0x25,
                                   0xac, 0xa9, 0xa0, 0x80, 0x06, 0x00, 0x00, 0x00, 0xff, 0xff});
  const std::string second =
      Bytes({0x02, 0x65, 0x1c, 0x0c, 0x29, 0x60, 0x62, 0x4e, 0xc9, 0x07, 0x97, 0xd1, 0xc0, 0x22,
             0xbb, 0x08, 0x4c, 0x5b, 0x18, 0x58, 0x18, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff});
  HeaderDecompressor d;
  Result<HeaderBlock> a = d.Decompress(first);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(*a, (HeaderBlock{{"streamtype", "error"}}));
  Result<HeaderBlock> b = d.Decompress(second);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(*b, (HeaderBlock{{"streamtype", "stdout"}, {"port", "8080"}}));
}

TEST(SpdyHeaderBlockTest, DecompressionBombIsRefused) {
  // 8 MiB of one byte deflates to a few KiB.
  HeaderCompressor c;
  Result<std::string> bomb = c.Compress(HeaderBlock{{"x", std::string(8 << 20, 'a')}});
  ASSERT_TRUE(bomb.ok());
  ASSERT_LT(bomb->size(), 64u * 1024);

  HeaderDecompressor capped;  // default cap: 1 MiB
  Result<HeaderBlock> r = capped.Decompress(*bomb);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("inflates past 1048576 bytes"), std::string::npos)
      << r.status().message();
  // The stream is now out of step for good.
  HeaderCompressor c2;
  EXPECT_FALSE(capped.Decompress(*c2.Compress(HeaderBlock{{"a", "b"}})).ok());

  // The cap, not the data, is what refused it.
  HeaderDecompressor roomy(16 << 20);
  EXPECT_TRUE(roomy.Decompress(*bomb).ok());
}

TEST(SpdyHeaderBlockTest, GarbageAndForeignDictionariesAreRefused) {
  HeaderDecompressor garbage;
  EXPECT_FALSE(garbage.Decompress("this is not zlib").ok());

  // A zlib stream primed with some other dictionary.
  z_stream z{};
  ASSERT_EQ(deflateInit(&z, Z_DEFAULT_COMPRESSION), Z_OK);
  const std::string other = "some other dictionary";
  deflateSetDictionary(&z, reinterpret_cast<const Bytef*>(other.data()),
                       static_cast<uInt>(other.size()));
  std::string raw = *EncodeHeaderBlock(HeaderBlock{{"a", "b"}});
  std::string out(256, '\0');
  z.next_in = reinterpret_cast<Bytef*>(raw.data());
  z.avail_in = static_cast<uInt>(raw.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  ASSERT_EQ(deflate(&z, Z_SYNC_FLUSH), Z_OK);
  out.resize(out.size() - z.avail_out);
  deflateEnd(&z);
  HeaderDecompressor d;
  Result<HeaderBlock> r = d.Decompress(out);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("dictionary"), std::string::npos) << r.status().message();
}

TEST(SpdyHeaderBlockTest, TruncatedCompressedBlockIsRefused) {
  HeaderCompressor c;
  Result<std::string> full = c.Compress(HeaderBlock{{"streamtype", "stdout"}, {"port", "80"}});
  ASSERT_TRUE(full.ok());
  HeaderDecompressor d;
  EXPECT_FALSE(d.Decompress(full->substr(0, full->size() - 6)).ok());
}

}  // namespace
}  // namespace berth::streaming::spdy
