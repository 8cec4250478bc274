#include "pkg/image/digest.h"

#include "gtest/gtest.h"

namespace berth::image {
namespace {

TEST(DigestTest, Sha256OfKnownString) {
  EXPECT_EQ(Sha256Digest("abc"),
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(DigestTest, Validation) {
  EXPECT_TRUE(IsSha256Digest("sha256:" + std::string(64, 'a')));
  EXPECT_FALSE(IsSha256Digest("sha256:" + std::string(64, 'A')));
  EXPECT_FALSE(IsSha256Digest("sha256:" + std::string(63, 'a')));
  EXPECT_FALSE(IsSha256Digest("sha512:" + std::string(64, 'a')));
}

TEST(DigestTest, ChainIdsFollowTheOciDefinition) {
  const std::string d1 = Sha256Digest("layer1"), d2 = Sha256Digest("layer2"),
                    d3 = Sha256Digest("layer3");
  auto c = ChainIds({d1, d2, d3});
  ASSERT_TRUE(c.ok());
  ASSERT_EQ(c->size(), 3u);
  EXPECT_EQ((*c)[0], d1);
  EXPECT_EQ((*c)[1], Sha256Digest(d1 + " " + d2));
  EXPECT_EQ((*c)[2], Sha256Digest((*c)[1] + " " + d3));
  EXPECT_EQ(ChainIds({d1, "sha256:bad"}).status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace berth::image
