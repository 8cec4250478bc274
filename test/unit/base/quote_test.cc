#include "pkg/base/quote.h"

#include <gtest/gtest.h>

namespace berth {
namespace {

TEST(QuoteForMessage, EscapesAndCuts) {
  EXPECT_EQ(QuoteForMessage("a\nb\"c"), "\"a\\x0ab\\\"c\"");
  EXPECT_EQ(QuoteForMessage("abcdef", 3), "\"abc...\"");
  EXPECT_EQ(QuoteForMessage(""), "\"\"");
}

TEST(EscapeForMessage, EveryByteThatIsNotPrintableAsciiIsEscaped) {
  EXPECT_EQ(EscapeForMessage("plain text: 1/2 = ok"), "plain text: 1/2 = ok");
  EXPECT_EQ(EscapeForMessage(std::string_view("a\0b", 3)), "a\\x00b");
  EXPECT_EQ(EscapeForMessage("\x1b[31m\x7f\xff"), "\\x1b[31m\\x7f\\xff");
  EXPECT_EQ(EscapeForMessage("back\\slash"), "back\\\\slash");
}

TEST(EscapeForMessage, CutsAtTheLimitOnly) {
  EXPECT_EQ(EscapeForMessage("abc", 3), "abc");
  EXPECT_EQ(EscapeForMessage("abcd", 3), "abc...");
  EXPECT_EQ(EscapeForMessage(std::string(1000, 'x')).size(), 200u + 3);
}

}  // namespace
}  // namespace berth
