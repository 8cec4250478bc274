#include "pkg/registrar/name_registrar.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace berth {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

TEST(NameRegistrarTest, ReserveThenGetReturnsHolder) {
  NameRegistrar r;
  ASSERT_TRUE(r.Reserve("k8s_pod_a", "id1").ok());
  Result<std::string> id = r.Get("k8s_pod_a");
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(*id, "id1");
}

TEST(NameRegistrarTest, ReservingTakenNameFailsNamingNameAndHolder) {
  NameRegistrar r;
  ASSERT_TRUE(r.Reserve("k8s_x_pod_ns_uid_0", "abc123").ok());
  Status s = r.Reserve("k8s_x_pod_ns_uid_0", "def456");
  EXPECT_EQ(s.code(), Code::kAlreadyExists);
  EXPECT_EQ(s.message(), "name \"k8s_x_pod_ns_uid_0\" is reserved for ID abc123");
  EXPECT_EQ(*r.Get("k8s_x_pod_ns_uid_0"), "abc123");  // the holder keeps it
}

TEST(NameRegistrarTest, ReReservingSameNameForSameIdSucceeds) {
  NameRegistrar r;
  ASSERT_TRUE(r.Reserve("n", "id1").ok());
  EXPECT_TRUE(r.Reserve("n", "id1").ok());
  EXPECT_THAT(r.GetNames("id1"), ElementsAre("n"));
}

TEST(NameRegistrarTest, EmptyNameOrIdIsInvalidArgument) {
  NameRegistrar r;
  EXPECT_EQ(r.Reserve("", "id1").code(), Code::kInvalidArgument);
  EXPECT_EQ(r.Reserve("n", "").code(), Code::kInvalidArgument);
  EXPECT_EQ(r.Get("n").status().code(), Code::kNotFound);
}

TEST(NameRegistrarTest, GetUnknownNameIsNotFoundNamingIt) {
  NameRegistrar r;
  Result<std::string> id = r.Get("nobody");
  EXPECT_EQ(id.status().code(), Code::kNotFound);
  EXPECT_THAT(id.status().message(), HasSubstr("\"nobody\""));
}

TEST(NameRegistrarTest, ReleaseFreesNameForAnotherId) {
  NameRegistrar r;
  ASSERT_TRUE(r.Reserve("n", "id1").ok());
  r.Release("n");
  EXPECT_EQ(r.Get("n").status().code(), Code::kNotFound);
  EXPECT_THAT(r.GetNames("id1"), IsEmpty());
  EXPECT_TRUE(r.Reserve("n", "id2").ok());
  r.Release("never-reserved");  // no effect, no crash
  EXPECT_EQ(*r.Get("n"), "id2");
}

TEST(NameRegistrarTest, ReleaseByIdFreesAllNamesOfThatIdOnly) {
  NameRegistrar r;
  ASSERT_TRUE(r.Reserve("a", "id1").ok());
  ASSERT_TRUE(r.Reserve("b", "id1").ok());
  ASSERT_TRUE(r.Reserve("c", "id2").ok());
  EXPECT_THAT(r.GetNames("id1"), ElementsAre("a", "b"));
  r.ReleaseById("id1");
  EXPECT_THAT(r.GetNames("id1"), IsEmpty());
  EXPECT_EQ(r.Get("a").status().code(), Code::kNotFound);
  EXPECT_EQ(r.Get("b").status().code(), Code::kNotFound);
  EXPECT_EQ(*r.Get("c"), "id2");
  r.ReleaseById("unknown");  // no effect
  EXPECT_THAT(r.GetNames("id2"), ElementsAre("c"));
}

TEST(NameRegistrarTest, GetNamesOfUnknownIdIsEmpty) {
  NameRegistrar r;
  EXPECT_THAT(r.GetNames("nobody"), IsEmpty());
  // With names held by other IDs (one a prefix of the asked ID, one its
  // extension): still empty, while the holders get theirs, so an answer that
  // is always empty or ignores the ID fails here.
  ASSERT_TRUE(r.Reserve("b", "id2").ok());
  ASSERT_TRUE(r.Reserve("a", "id").ok());
  ASSERT_TRUE(r.Reserve("c", "id10").ok());
  EXPECT_THAT(r.GetNames("id1"), IsEmpty());
  EXPECT_THAT(r.GetNames("id"), ElementsAre("a"));
  EXPECT_THAT(r.GetNames("id2"), ElementsAre("b"));
}

TEST(NameRegistrarTest, ConcurrentReserveOfOneNameHasExactlyOneWinner) {
  constexpr int kThreads = 8;
  constexpr int kRounds = 200;
  NameRegistrar r;
  for (int round = 0; round < kRounds; ++round) {
    const std::string name = "pod-" + std::to_string(round);
    std::atomic<int> winners{0};
    std::atomic<int> conflicts{0};
    std::atomic<bool> go{false};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
        Status s = r.Reserve(name, "id-" + std::to_string(t));
        if (s.ok()) {
          winners.fetch_add(1);
        } else if (s.code() == Code::kAlreadyExists) {
          conflicts.fetch_add(1);
        }
      });
    }
    go.store(true, std::memory_order_release);
    for (std::thread& th : threads) th.join();
    ASSERT_EQ(winners.load(), 1) << name;
    ASSERT_EQ(conflicts.load(), kThreads - 1) << name;
    Result<std::string> holder = r.Get(name);
    ASSERT_TRUE(holder.ok());
    EXPECT_THAT(r.GetNames(*holder), ::testing::Contains(name));
  }
}

TEST(NameRegistrarTest, ConcurrentReserveReleaseKeepsBothDirectionsConsistent) {
  constexpr int kThreads = 6;
  constexpr int kOps = 2000;
  NameRegistrar r;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&r, t] {
      const std::string id = "id-" + std::to_string(t);
      for (int i = 0; i < kOps; ++i) {
        const std::string name = "n" + std::to_string(i % 16);  // shared names: contention
        if (r.Reserve(name, id).ok()) {
          // While this thread holds it, nobody else can take it.
          Result<std::string> got = r.Get(name);
          if (!got.ok() || *got != id) ADD_FAILURE() << name << " lost by " << id;
          if (i % 3 == 0) {
            r.ReleaseById(id);
          } else {
            r.Release(name);
          }
        }
        (void)r.GetNames(id);
      }
    });
  }
  for (std::thread& th : threads) th.join();
  // Every thread released what it took.
  for (int i = 0; i < 16; ++i) {
    EXPECT_EQ(r.Get("n" + std::to_string(i)).status().code(), Code::kNotFound);
  }
  for (int t = 0; t < kThreads; ++t) EXPECT_THAT(r.GetNames("id-" + std::to_string(t)), IsEmpty());
}

}  // namespace
}  // namespace berth
