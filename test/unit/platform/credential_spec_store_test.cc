#include "pkg/platform/credential_spec_store.h"

#include <gtest/gtest.h>

#include <set>

#include "pkg/platform/fake_registry_backend.h"
#include "test/unit/platform/test_random.h"

namespace berth::platform {
namespace {

constexpr std::string_view kSpec =
    R"({"CmsPlugins":["ActiveDirectory"],"DomainJoinConfig":{"GMSA":"webapp01"}})";
constexpr std::string_view kCid = "0123456789abcdef";

struct StoreFixture : ::testing::Test {
  void Use(std::unique_ptr<RandomSource> random) {
    auto backend = std::make_unique<FakeRegistryBackend>();
    fake = backend.get();
    store =
        std::make_unique<RegistryCredentialSpecStore>(std::move(backend), std::move(random), audit);
  }
  void SetUp() override { Use(SystemRandomSource()); }
  MemoryAuditLogger audit;
  FakeRegistryBackend* fake = nullptr;
  std::unique_ptr<RegistryCredentialSpecStore> store;
};

std::string ManagedName(char hex) {
  return std::string(kCredentialSpecValuePrefix) + std::string(80, hex);
}

TEST_F(StoreFixture, NameHasPrefixAndEightyLowercaseHexCharacters) {
  auto value = store->Create(kCid, kSpec);
  ASSERT_TRUE(value.ok()) << value.status().ToString();
  EXPECT_TRUE(value->value_name.starts_with("k8s-cred-spec-"));
  EXPECT_EQ(value->value_name.size(), 14u + 80u);
  for (char c : value->value_name.substr(14)) {
    EXPECT_TRUE((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) << c;
  }
  EXPECT_TRUE(IsManagedValueName(value->value_name));
  EXPECT_EQ(value->uri, "registry://" + value->value_name);
  EXPECT_EQ(fake->Values().at(value->value_name), kSpec);
}

TEST_F(StoreFixture, NamesAreRandomOverManyDraws) {
  std::set<std::string> names;
  std::array<int, 16> nibble_counts{};
  constexpr int kDraws = 500;
  for (int i = 0; i < kDraws; ++i) {
    auto value = store->Create(kCid, kSpec);
    ASSERT_TRUE(value.ok()) << value.status().ToString();
    names.insert(value->value_name);
    for (char c : value->value_name.substr(14)) {
      ++nibble_counts[c <= '9' ? c - '0' : c - 'a' + 10];
    }
  }
  EXPECT_EQ(names.size(), static_cast<size_t>(kDraws));
  // 40,000 nibbles: each of 16 digits expected 2,500 times; a fair source stays well
  // within +-20% (many standard deviations), a stuck or biased one does not.
  for (int count : nibble_counts) {
    EXPECT_GT(count, 2000);
    EXPECT_LT(count, 3000);
  }
}

TEST_F(StoreFixture, CollisionDrawsAgainAndNeverOverwrites) {
  Use(std::make_unique<testing::ScriptedRandom>(std::deque<std::uint8_t>{0xaa, 0xbb}));
  const std::string taken = ManagedName('a');
  fake->Seed(taken, "someone else's spec");
  auto value = store->Create(kCid, kSpec);
  ASSERT_TRUE(value.ok()) << value.status().ToString();
  EXPECT_EQ(value->value_name, ManagedName('b'));
  EXPECT_EQ(fake->Values().at(taken), "someone else's spec");
  EXPECT_EQ(fake->Values().at(value->value_name), kSpec);
  EXPECT_EQ(fake->set_calls(), 2);
}

TEST_F(StoreFixture, EndlessCollisionsGiveUpWithInternal) {
  Use(std::make_unique<testing::ScriptedRandom>(std::deque<std::uint8_t>{0xcc}));
  fake->Seed(ManagedName('c'), "x");
  auto value = store->Create(kCid, kSpec);
  ASSERT_FALSE(value.ok());
  EXPECT_EQ(value.status().code(), Code::kInternal);
  EXPECT_EQ(fake->set_calls(), kMaxValueNameAttempts);
  EXPECT_EQ(fake->Values().at(ManagedName('c')), "x");
}

TEST_F(StoreFixture, RandomSourceFailureIsReported) {
  Use(std::make_unique<testing::FailingRandom>());
  auto value = store->Create(kCid, kSpec);
  ASSERT_FALSE(value.ok());
  EXPECT_NE(value.status().message().find("entropy"), std::string::npos);
  EXPECT_TRUE(fake->Values().empty());
}

TEST_F(StoreFixture, InvalidJsonIsInvalidArgument) {
  for (std::string_view bad : {"", "{", "not json", R"({"a":1}{"b":2})", "[1,2]", "\"str\""}) {
    auto value = store->Create(kCid, bad);
    ASSERT_FALSE(value.ok()) << bad;
    EXPECT_EQ(value.status().code(), Code::kInvalidArgument) << bad;
  }
  EXPECT_TRUE(fake->Values().empty());
}

TEST_F(StoreFixture, InvalidUtf8IsInvalidArgument) {
  auto value = store->Create(kCid, "{\"a\":\"\xff\"}");
  ASSERT_FALSE(value.ok());
  EXPECT_EQ(value.status().code(), Code::kInvalidArgument);
}

TEST_F(StoreFixture, SpecAboveRegistryValueLimitIsInvalidArgument) {
  // (N + 1) * 2 bytes as UTF-16: the largest accepted ASCII spec has N = 524,287 characters.
  auto spec_of = [](size_t total) {
    std::string s = "{\"p\":\"";
    s += std::string(total - s.size() - 2, 'x');
    s += "\"}";
    return s;
  };
  const size_t max_chars = kMaxRegistryValueDataBytes / 2 - 1;
  EXPECT_TRUE(store->Create(kCid, spec_of(max_chars)).ok());
  auto too_big = store->Create(kCid, spec_of(max_chars + 1));
  ASSERT_FALSE(too_big.ok());
  EXPECT_EQ(too_big.status().code(), Code::kInvalidArgument);
  EXPECT_NE(too_big.status().message().find("limit"), std::string::npos);
}

TEST(RegistryStringDataBytesTest, CountsUtf16UnitsAndTerminator) {
  EXPECT_EQ(*RegistryStringDataBytes(""), 2u);
  EXPECT_EQ(*RegistryStringDataBytes("ab"), 6u);
  EXPECT_EQ(*RegistryStringDataBytes("\xc3\xa9"), 4u);          // U+00E9: one unit
  EXPECT_EQ(*RegistryStringDataBytes("\xf0\x9f\x98\x80"), 6u);  // U+1F600: surrogate pair
  EXPECT_FALSE(RegistryStringDataBytes("\xc0\x80").ok());       // overlong NUL
  EXPECT_FALSE(RegistryStringDataBytes("\xed\xa0\x80").ok());   // lone surrogate
}

TEST_F(StoreFixture, HostileContainerIdIsRefused) {
  auto value = store->Create("../../etc\n", kSpec);
  ASSERT_FALSE(value.ok());
  EXPECT_EQ(value.status().code(), Code::kInvalidArgument);
  EXPECT_TRUE(fake->Values().empty());
}

TEST_F(StoreFixture, RemoveDeletesTheValue) {
  auto value = store->Create(kCid, kSpec);
  ASSERT_TRUE(value.ok());
  ASSERT_TRUE(store->Remove(kCid, value->value_name).ok());
  EXPECT_TRUE(fake->Values().empty());
}

TEST_F(StoreFixture, RemovingAnAbsentValueSucceeds) {
  auto value = store->Create(kCid, kSpec);
  ASSERT_TRUE(value.ok());
  ASSERT_TRUE(store->Remove(kCid, value->value_name).ok());
  EXPECT_TRUE(store->Remove(kCid, value->value_name).ok());
  EXPECT_TRUE(store->Remove(kCid, ManagedName('0')).ok());
}

TEST_F(StoreFixture, RemoveRefusesNamesOutsideThePattern) {
  fake->Seed("DockerSpec", "{}");
  for (std::string_view name :
       {"DockerSpec", "k8s-cred-spec-", "k8s-cred-spec-ABCDEF", "..\\Other"}) {
    Status s = store->Remove(kCid, name);
    EXPECT_EQ(s.code(), Code::kInvalidArgument) << name;
  }
  const std::string upper = std::string(kCredentialSpecValuePrefix) + std::string(80, 'A');
  EXPECT_EQ(store->Remove(kCid, upper).code(), Code::kInvalidArgument);
  EXPECT_EQ(fake->Values().size(), 1u);
}

TEST_F(StoreFixture, RemoveReportsBackendFailure) {
  fake->FailNextDelete(Internal("registry key X: Access is denied."));
  Status s = store->Remove(kCid, ManagedName('1'));
  EXPECT_EQ(s.code(), Code::kInternal);
  EXPECT_NE(s.message().find("Access is denied"), std::string::npos);
}

TEST_F(StoreFixture, StaleSweepTouchesOnlyMatchingNames) {
  const std::vector<std::string> foreign = {
      "k8s-cred-spec-" + std::string(79, 'a'),        // one short
      "k8s-cred-spec-" + std::string(81, 'a'),        // one long
      "k8s-cred-spec-" + std::string(80, 'A'),        // upper case
      "k8s-cred-spec-" + std::string(79, 'a') + "g",  // not hex
      "K8S-cred-spec-" + std::string(80, 'a'),        // prefix case
      "x-k8s-cred-spec-" + std::string(80, 'a'),      // prefix not at start
      "DockerCredSpec",
  };
  for (const auto& name : foreign) fake->Seed(name, "{}");
  fake->Seed(ManagedName('5'), "{}");
  auto created = store->Create(kCid, kSpec);
  ASSERT_TRUE(created.ok());

  auto removed = store->RemoveStale({});
  ASSERT_TRUE(removed.ok()) << removed.status().ToString();
  EXPECT_EQ(*removed, 2u);
  auto left = fake->Values();
  EXPECT_EQ(left.size(), foreign.size());
  for (const auto& name : foreign) EXPECT_TRUE(left.contains(name)) << name;
}

TEST_F(StoreFixture, StaleSweepKeepsTheValuesInUse) {
  fake->Seed(ManagedName('1'), "{}");  // a created container's, still to be started
  fake->Seed(ManagedName('2'), "{}");  // a stray
  auto removed = store->RemoveStale({ManagedName('1')});
  ASSERT_TRUE(removed.ok()) << removed.status().ToString();
  EXPECT_EQ(*removed, 1u);
  auto left = fake->Values();
  EXPECT_EQ(left.size(), 1u);
  EXPECT_TRUE(left.contains(ManagedName('1')));
}

TEST_F(StoreFixture, StaleSweepKeepsGoingAfterAFailure) {
  fake->Seed(ManagedName('1'), "{}");
  fake->Seed(ManagedName('2'), "{}");
  fake->FailNextDelete(Internal("denied"));
  auto removed = store->RemoveStale({});
  ASSERT_FALSE(removed.ok());
  EXPECT_EQ(fake->Values().size(), 1u);
}

TEST_F(StoreFixture, AuditLinesNameTheMutationAndCarryNoSecrets) {
  const std::string secret =
      R"({"DomainJoinConfig":{"Sid":"S-1-5-21-SECRET","MachineAccountName":"hush"}})";
  auto value = store->Create(kCid, secret);
  ASSERT_TRUE(value.ok());
  ASSERT_TRUE(store->Remove(kCid, value->value_name).ok());
  fake->Seed(ManagedName('9'), secret);
  ASSERT_TRUE(store->RemoveStale({}).ok());
  auto bad = store->Create(kCid, "{\"Sid\":\"S-1-5-21-SECRET\"");  // invalid: unterminated
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message().find("SECRET"), std::string::npos);

  const auto lines = audit.Lines();
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_NE(lines[0].find("op=\"create-value\""), std::string::npos) << lines[0];
  EXPECT_NE(lines[1].find("op=\"delete-value\""), std::string::npos) << lines[1];
  EXPECT_NE(lines[2].find("op=\"sweep-value\""), std::string::npos) << lines[2];
  for (int i = 0; i < 2; ++i) {
    EXPECT_NE(lines[i].find("value=\"" + value->value_name + "\""), std::string::npos);
    EXPECT_NE(lines[i].find("container=\"" + std::string(kCid) + "\""), std::string::npos);
    EXPECT_NE(lines[i].find("CredentialSpecs"), std::string::npos);
  }
  for (const auto& line : lines) {
    EXPECT_EQ(line.find("SECRET"), std::string::npos) << line;
    EXPECT_EQ(line.find("hush"), std::string::npos) << line;
    EXPECT_EQ(line.find("DomainJoinConfig"), std::string::npos) << line;
  }
}

TEST(AuditLineTest, EscapesHostileFields) {
  const std::string line =
      FormatAuditLine({"op", "k", "v\" outcome=\"ok", "c\nfake audit line", "ok"});
  EXPECT_EQ(line,
            "audit op=\"op\" key=\"k\" value=\"v\\\" outcome=\\\"ok\" "
            "container=\"c\\x0afake audit line\" outcome=\"ok\"");
}

}  // namespace
}  // namespace berth::platform
