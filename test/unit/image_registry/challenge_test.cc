#include "pkg/registry/challenge.h"

#include <gtest/gtest.h>

namespace berth::registry {
namespace {

TEST(ChallengeTest, ParsesBearerWithQuotedParams) {
  auto c = ParseWwwAuthenticate(
      R"(Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull")");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].scheme, "bearer");
  EXPECT_EQ(c[0].Param("realm"), "https://auth.example/token");
  EXPECT_EQ(c[0].Param("service"), "registry.example");
  EXPECT_EQ(c[0].Param("scope"), "repository:a/b:pull");
}

TEST(ChallengeTest, ParsesBasicAndCaseInsensitiveNames) {
  auto c = ParseWwwAuthenticate(R"(BASIC Realm="Registry Realm")");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].scheme, "basic");
  EXPECT_EQ(c[0].Param("realm"), "Registry Realm");
}

TEST(ChallengeTest, ParsesSeveralChallengesInOneHeader) {
  auto c = ParseWwwAuthenticate(
      R"(Basic realm="a", Bearer realm="https://t/x", service=svc , error="insufficient_scope")");
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].scheme, "basic");
  EXPECT_EQ(c[0].Param("realm"), "a");
  EXPECT_EQ(c[1].scheme, "bearer");
  EXPECT_EQ(c[1].Param("realm"), "https://t/x");
  EXPECT_EQ(c[1].Param("service"), "svc");
  EXPECT_EQ(c[1].Param("error"), "insufficient_scope");
}

TEST(ChallengeTest, HandlesEscapesAndCommasInQuotedValues) {
  auto c = ParseWwwAuthenticate(R"(Bearer realm="https://t/x?a=1,b=2",service="s\"q")");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].Param("realm"), "https://t/x?a=1,b=2");
  EXPECT_EQ(c[0].Param("service"), "s\"q");
}

TEST(ChallengeTest, SchemeWithoutParams) {
  auto c = ParseWwwAuthenticate("Negotiate");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].scheme, "negotiate");
  EXPECT_TRUE(c[0].params.empty());
}

TEST(ChallengeTest, GarbageNeverCrashesOrLoops) {
  for (const char* h : {"", ",,,", "\"unterminated", "Bearer realm=\"x", "= = =", "Bearer ,=,",
                        "Bearer realm", "@@@ Basic realm=x"}) {
    auto c = ParseWwwAuthenticate(h);
    (void)c;
  }
  auto c = ParseWwwAuthenticate("@@@, Basic realm=x");
  ASSERT_FALSE(c.empty());
  EXPECT_EQ(c.back().scheme, "basic");
  EXPECT_EQ(c.back().Param("realm"), "x");
}

}  // namespace
}  // namespace berth::registry
