#include "pkg/image/chain_id.h"

#include "gtest/gtest.h"
#include "pkg/base/digest.h"

namespace berth::image {
namespace {

TEST(ChainIdTest, ChainIdsFollowTheOciDefinition) {
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
