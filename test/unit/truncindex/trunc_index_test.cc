#include "pkg/truncindex/trunc_index.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace berth {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// A 64-hex-digit ID like the ones the daemon generates.
std::string RandomId(std::mt19937_64& rng) {
  std::string id;
  for (int i = 0; i < 4; ++i) {
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(rng()));
    id += buf;
  }
  return id;
}

TEST(TruncIndexTest, UniquePrefixResolvesToFullId) {
  TruncIndex idx;
  ASSERT_TRUE(idx.Add("abcdef0123").ok());
  ASSERT_TRUE(idx.Add("abd0000000").ok());
  EXPECT_EQ(*idx.Get("abc"), "abcdef0123");
  EXPECT_EQ(*idx.Get("abd"), "abd0000000");
  EXPECT_EQ(*idx.Get("abcdef0123"), "abcdef0123");
}

TEST(TruncIndexTest, AmbiguousPrefixIsInvalidArgumentWithCount) {
  TruncIndex idx;
  ASSERT_TRUE(idx.Add("abc1").ok());
  ASSERT_TRUE(idx.Add("abc2").ok());
  ASSERT_TRUE(idx.Add("abc3").ok());
  ASSERT_TRUE(idx.Add("abd4").ok());
  Result<std::string> r = idx.Get("abc");
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "ambiguous ID prefix \"abc\" matches 3 IDs");
  EXPECT_THAT(idx.Get("ab").status().message(), HasSubstr("matches 4 IDs"));
}

TEST(TruncIndexTest, UnknownPrefixIsNotFound) {
  TruncIndex idx;
  EXPECT_EQ(idx.Get("abc").status().code(), Code::kNotFound);
  ASSERT_TRUE(idx.Add("abc1").ok());
  Result<std::string> r = idx.Get("abd");
  EXPECT_EQ(r.status().code(), Code::kNotFound);
  EXPECT_EQ(r.status().message(), "no ID with prefix \"abd\"");
  EXPECT_EQ(idx.Get("abc12").status().code(), Code::kNotFound);  // longer than any ID
  EXPECT_EQ(idx.Get("zzz").status().code(), Code::kNotFound);    // sorts after every ID
}

TEST(TruncIndexTest, EmptyPrefixIsInvalidArgument) {
  TruncIndex idx;
  ASSERT_TRUE(idx.Add("abc").ok());
  EXPECT_EQ(idx.Get("").status().code(), Code::kInvalidArgument);
}

TEST(TruncIndexTest, ExactIdResolvesEvenWhenPrefixOfAnother) {
  TruncIndex idx;
  ASSERT_TRUE(idx.Add("abc").ok());
  ASSERT_TRUE(idx.Add("abcdef").ok());
  ASSERT_TRUE(idx.Add("abcxyz").ok());
  EXPECT_EQ(*idx.Get("abc"), "abc");
  EXPECT_EQ(*idx.Get("abcd"), "abcdef");
  EXPECT_EQ(idx.Get("ab").status().code(), Code::kInvalidArgument);
}

TEST(TruncIndexTest, AddRejectsEmptyWhitespaceAndDuplicates) {
  TruncIndex idx;
  EXPECT_EQ(idx.Add("").code(), Code::kInvalidArgument);
  EXPECT_EQ(idx.Add("ab c").code(), Code::kInvalidArgument);
  EXPECT_EQ(idx.Add("abc\n").code(), Code::kInvalidArgument);
  EXPECT_EQ(idx.Add("\tabc").code(), Code::kInvalidArgument);
  ASSERT_TRUE(idx.Add("abc").ok());
  Status dup = idx.Add("abc");
  EXPECT_EQ(dup.code(), Code::kAlreadyExists);
  EXPECT_THAT(dup.message(), HasSubstr("abc"));
  EXPECT_EQ(idx.Size(), 1u);
}

TEST(TruncIndexTest, DeleteRemovesAndUnknownIsNotFound) {
  TruncIndex idx;
  ASSERT_TRUE(idx.Add("abc1").ok());
  ASSERT_TRUE(idx.Add("abc2").ok());
  EXPECT_EQ(idx.Delete("abc").code(), Code::kNotFound);  // a prefix is not an ID
  ASSERT_TRUE(idx.Delete("abc1").ok());
  EXPECT_EQ(*idx.Get("abc"), "abc2");  // no longer ambiguous
  EXPECT_EQ(idx.Delete("abc1").code(), Code::kNotFound);
  EXPECT_EQ(idx.Get("abc1").status().code(), Code::kNotFound);
}

TEST(TruncIndexTest, IterateAndAllVisitEveryIdSorted) {
  TruncIndex idx;
  for (const char* id : {"c3", "a1", "b2"}) ASSERT_TRUE(idx.Add(id).ok());
  std::vector<std::string> seen;
  idx.Iterate([&](const std::string& id) { seen.push_back(id); });
  EXPECT_THAT(seen, ElementsAre("a1", "b2", "c3"));
  EXPECT_THAT(idx.All(), ElementsAre("a1", "b2", "c3"));
}

TEST(TruncIndexTest, TenThousandIdsResolveByShortPrefix) {
  std::mt19937_64 rng(42);
  TruncIndex idx;
  std::vector<std::string> ids;
  for (int i = 0; i < 10000; ++i) {
    ids.push_back(RandomId(rng));
    ASSERT_TRUE(idx.Add(ids.back()).ok());
  }
  // 12 hex digits (48 bits) are unique among 10k random IDs.
  for (const std::string& id : ids) {
    Result<std::string> r = idx.Get(id.substr(0, 12));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_EQ(*r, id);
  }
  // One hex digit is shared by ~625 of them.
  Result<std::string> one = idx.Get(ids[0].substr(0, 1));
  EXPECT_EQ(one.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(idx.Size(), 10000u);
}

TEST(TruncIndexTest, ConcurrentAddDeleteGetKeepsIndexConsistent) {
  constexpr int kWriters = 4;
  constexpr int kReaders = 3;
  constexpr int kPerWriter = 1500;
  TruncIndex idx;
  // Stable IDs readers must always resolve while writers churn others.
  std::vector<std::string> stable;
  for (int i = 0; i < 50; ++i) {
    stable.push_back("stable" + std::to_string(i) + "x");
    ASSERT_TRUE(idx.Add(stable.back()).ok());
  }
  std::atomic<int> writers_left{kWriters};
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      for (int i = 0; i < kPerWriter; ++i) {
        const std::string id = "w" + std::to_string(w) + "-" + std::to_string(i);
        if (!idx.Add(id).ok()) ADD_FAILURE() << "add " << id;
        if (i % 2 == 0 && !idx.Delete(id).ok()) ADD_FAILURE() << "delete " << id;
      }
      writers_left.fetch_sub(1);
    });
  }
  for (int r = 0; r < kReaders; ++r) {
    threads.emplace_back([&] {
      // Readers keep going at least until the writers finish (bounded, so
      // readers preferring the lock cannot starve the writers forever).
      for (int round = 0; round < 200 || writers_left.load() > 0; ++round) {
        for (const std::string& id : stable) {
          Result<std::string> got = idx.Get(id);
          if (!got.ok() || *got != id) ADD_FAILURE() << "lost " << id;
        }
        (void)idx.Get("w");  // ambiguous or not found, never a crash
        if (round % 32 == 0) (void)idx.All();
        std::this_thread::yield();
      }
    });
  }
  // Two writers racing to add the same ID: exactly one wins.
  std::atomic<int> wins{0};
  std::thread a([&] { wins += idx.Add("contested").ok(); });
  std::thread b([&] { wins += idx.Add("contested").ok(); });
  a.join();
  b.join();
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(wins.load(), 1);
  EXPECT_EQ(idx.Size(), stable.size() + kWriters * kPerWriter / 2 + 1);
  const std::vector<std::string> snapshot = idx.All();
  std::set<std::string> all(snapshot.begin(), snapshot.end());
  for (int w = 0; w < kWriters; ++w) {
    EXPECT_EQ(all.count("w" + std::to_string(w) + "-1"), 1u);
    EXPECT_EQ(all.count("w" + std::to_string(w) + "-0"), 0u);
  }
}

}  // namespace
}  // namespace berth
