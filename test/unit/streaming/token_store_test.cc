// Single-use stream tokens: one use, a lifetime on an injected clock, a cap
// on how many wait at once, and their shape.
#include "pkg/streaming/token_store.h"

#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <string>

namespace berth::streaming {
namespace {

using namespace std::chrono_literals;

// A clock the test moves by hand, shared with the store's Options.now.
struct ManualClock {
  std::shared_ptr<TokenStore::Clock::time_point> t =
      std::make_shared<TokenStore::Clock::time_point>(TokenStore::Clock::time_point{} + 1h);
  std::function<TokenStore::Clock::time_point()> fn() const {
    return [t = t] { return *t; };
  }
  void Advance(std::chrono::milliseconds d) { *t += d; }
};

StreamRequest ExecIn(std::string container) {
  StreamRequest r;
  r.kind = StreamKind::kExec;
  r.container_id = std::move(container);
  r.cmd = {"sh", "-c", "true"};
  return r;
}

TEST(TokenStoreTest, ATokenIsGoodForOneUse) {
  TokenStore store;
  std::string token = store.Issue(ExecIn("c1")).value();
  EXPECT_EQ(store.Outstanding(), 1u);
  std::optional<StreamRequest> got = store.Take(token);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->container_id, "c1");
  EXPECT_EQ(got->cmd, (std::vector<std::string>{"sh", "-c", "true"}));
  EXPECT_FALSE(store.Take(token).has_value());
  EXPECT_EQ(store.Outstanding(), 0u);
}

TEST(TokenStoreTest, UnknownTokenIsNothing) {
  TokenStore store;
  ASSERT_TRUE(store.Issue(ExecIn("c1")).ok());
  EXPECT_FALSE(store.Take("").has_value());
  EXPECT_FALSE(store.Take("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").has_value());
  EXPECT_EQ(store.Outstanding(), 1u);  // a miss uses up nobody's token
}

TEST(TokenStoreTest, TokenExpiresAfterItsLifetime) {
  ManualClock clock;
  TokenStore::Options options;
  options.ttl = 1min;
  options.now = clock.fn();
  TokenStore store(options);

  std::string early = store.Issue(ExecIn("early")).value();
  std::string late = store.Issue(ExecIn("late")).value();
  clock.Advance(59s);
  ASSERT_TRUE(store.Take(early).has_value());  // a second before the end: still good
  clock.Advance(1s);
  EXPECT_FALSE(store.Take(late).has_value());  // at the end: gone
  EXPECT_EQ(store.Outstanding(), 0u);
}

TEST(TokenStoreTest, ExpiredTokensDoNotCountAgainstTheCap) {
  ManualClock clock;
  TokenStore::Options options;
  options.ttl = 1min;
  options.max_outstanding = 2;
  options.now = clock.fn();
  TokenStore store(options);
  ASSERT_TRUE(store.Issue(ExecIn("a")).ok());
  ASSERT_TRUE(store.Issue(ExecIn("b")).ok());
  EXPECT_EQ(store.Issue(ExecIn("c")).status().code(), Code::kResourceExhausted);
  clock.Advance(1min);
  EXPECT_EQ(store.Outstanding(), 0u);
  EXPECT_TRUE(store.Issue(ExecIn("c")).ok());
}

TEST(TokenStoreTest, AtMostMaxOutstandingThenResourceExhausted) {
  TokenStore::Options options;
  options.max_outstanding = 3;
  TokenStore store(options);
  std::vector<std::string> tokens;
  for (int i = 0; i < 3; ++i) tokens.push_back(store.Issue(ExecIn("c")).value());
  Result<std::string> over = store.Issue(ExecIn("c"));
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.status().code(), Code::kResourceExhausted);
  EXPECT_EQ(store.Outstanding(), 3u);
  // A used token frees its place.
  ASSERT_TRUE(store.Take(tokens[1]).has_value());
  EXPECT_TRUE(store.Issue(ExecIn("c")).ok());
  EXPECT_EQ(store.Issue(ExecIn("c")).status().code(), Code::kResourceExhausted);
}

TEST(TokenStoreTest, DefaultsAreOneMinuteAndAThousand) {
  ManualClock clock;
  TokenStore::Options options;
  options.now = clock.fn();
  EXPECT_EQ(options.ttl, 1min);
  EXPECT_EQ(options.max_outstanding, 1000u);
  TokenStore store(options);
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(store.Issue(ExecIn("c")).ok()) << i;
  EXPECT_EQ(store.Issue(ExecIn("c")).status().code(), Code::kResourceExhausted);
}

TEST(TokenStoreTest, TokensAre43UrlSafeCharactersAndDiffer) {
  TokenStore store;
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    std::string t = store.Issue(ExecIn("c")).value();
    ASSERT_EQ(t.size(), 43u) << t;
    for (char c : t) {
      ASSERT_TRUE(isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') << t;
    }
    seen.insert(t);
  }
  EXPECT_EQ(seen.size(), 200u);
}

TEST(TokenStoreTest, NewTokenUsesTheWholeAlphabet) {
  // 32 random bytes per token: over a few hundred tokens every one of the 64
  // characters turns up, which a broken encoder (say, one that drops the
  // top bits) would not manage.
  std::set<char> chars;
  for (int i = 0; i < 300; ++i) {
    std::string t = NewToken().value();
    chars.insert(t.begin(), t.end());
  }
  EXPECT_EQ(chars.size(), 64u);
}

}  // namespace
}  // namespace berth::streaming
