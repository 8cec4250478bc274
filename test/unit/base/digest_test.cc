#include "pkg/base/digest.h"

#include <gtest/gtest.h>

#include <string>

namespace berth {
namespace {

std::string Hex(char c) {
  return std::string(64, c);
}

TEST(DigestTest, Sha256OfKnownStrings) {
  EXPECT_EQ(Sha256Digest("abc"),
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Digest(""),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(DigestTest, StreamingEqualsOneShot) {
  Sha256Hasher h;
  h.Update("ab");
  h.Update("");
  h.Update("c");
  EXPECT_EQ(h.Finish(), Sha256Digest("abc"));
}

TEST(DigestTest, AcceptsOnlySha256WithSixtyFourLowercaseHexDigits) {
  EXPECT_TRUE(IsSha256Digest("sha256:" + Hex('a')));
  EXPECT_TRUE(IsSha256Hex(Hex('0')));
  EXPECT_FALSE(IsSha256Digest("sha256:" + Hex('A')));
  EXPECT_FALSE(IsSha256Digest("sha256:" + std::string(63, 'a')));
  EXPECT_FALSE(IsSha256Digest("sha512:" + Hex('a')));
  EXPECT_FALSE(IsSha256Digest(Hex('a')));
}

TEST(DigestTest, ValidateNamesTheObjectAndTheKindOfFault) {
  EXPECT_TRUE(ValidateDigest("sha256:" + Hex('f'), "layer 0").ok());
  Status algo = ValidateDigest("md5:abc", "layer 0");
  EXPECT_EQ(algo.code(), Code::kInvalidArgument);
  EXPECT_EQ(algo.message(),
            "layer 0: unsupported digest algorithm in \"md5:abc\" (only sha256 is accepted)");
  Status hex = ValidateDigest("sha256:xyz\n", "blob");
  EXPECT_EQ(hex.message(),
            "blob: invalid digest \"sha256:xyz\\x0a\" (want sha256:<64 lowercase hex digits>)");
}

TEST(DigestTest, HexIsThePartAfterThePrefix) {
  EXPECT_EQ(DigestHex("sha256:" + Hex('b')), Hex('b'));
  EXPECT_EQ(DigestHex(Hex('b')), Hex('b'));
}

}  // namespace
}  // namespace berth
