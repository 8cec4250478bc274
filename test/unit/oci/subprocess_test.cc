#include "pkg/oci/subprocess.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace berth::oci {
namespace {

TEST(QuoteForMessage, EscapesAndCuts) {
  EXPECT_EQ(QuoteForMessage("a\nb\"c"), "\"a\\x0ab\\\"c\"");
  EXPECT_EQ(QuoteForMessage("abcdef", 3), "\"abc...\"");
}

}  // namespace
}  // namespace berth::oci
