// ParsePodCidrs: what UpdateRuntimeConfig accepts as the node's pod CIDRs.
#include "pkg/cni/pod_cidr.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace berth::cni {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::vector<std::string> Texts(const std::vector<PodCidr>& cidrs) {
  std::vector<std::string> out;
  for (const auto& c : cidrs) out.push_back(c.text + (c.ipv6 ? " v6" : " v4"));
  return out;
}

TEST(PodCidrTest, ParsesOneIpv4Cidr) {
  auto r = ParsePodCidrs("10.244.1.0/24");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_THAT(Texts(*r), ElementsAre("10.244.1.0/24 v4"));
}

TEST(PodCidrTest, ParsesIpv6InCanonicalForm) {
  auto r = ParsePodCidrs("FD00:10:244:0001:0000::/80");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_THAT(Texts(*r), ElementsAre("fd00:10:244:1::/80 v6"));
}

TEST(PodCidrTest, ParsesDualStackListWithBlanks) {
  auto r = ParsePodCidrs(" 10.244.1.0/24 ,\tfd00:1::/64");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_THAT(Texts(*r), ElementsAre("10.244.1.0/24 v4", "fd00:1::/64 v6"));
  EXPECT_EQ(JoinPodCidrs(*r), "10.244.1.0/24,fd00:1::/64");
}

TEST(PodCidrTest, AcceptsPrefixBounds) {
  EXPECT_TRUE(ParsePodCidrs("0.0.0.0/0").ok());
  EXPECT_TRUE(ParsePodCidrs("10.1.2.3/32").ok());
  EXPECT_TRUE(ParsePodCidrs("fd00::1/128").ok());
}

// Each garbage input is refused with a message that says what is wrong.
TEST(PodCidrTest, RefusesGarbageNamingTheEntry) {
  const std::pair<const char*, const char*> cases[] = {
      {"", "empty entry"},
      {"10.0.0.0/24,", "empty entry"},
      {"10.0.0.0", "\"10.0.0.0\" is not a CIDR"},
      {"banana/24", "is not an IPv4 address"},
      {"10.0.0.256/24", "is not an IPv4 address"},
      {"010.0.0.0/24", "is not an IPv4 address"},
      {"fd00::zz/64", "is not an IPv6 address"},
      {"10.0.0.0/33", "from 0 to 32"},
      {"fd00::/129", "from 0 to 128"},
      {"10.0.0.0/-1", "from 0 to 32"},
      {"10.0.0.0/+8", "from 0 to 32"},
      {"10.0.0.0/08", "from 0 to 32"},
      {"10.0.0.0/", "from 0 to 32"},
      {"10.0.0.0/24x", "from 0 to 32"},
      {"10.1.2.3/24", "host bits set: the network is 10.1.2.0/24"},
      {"fd00::1/64", "host bits set: the network is fd00::/64"},
  };
  for (const auto& [input, message] : cases) {
    auto r = ParsePodCidrs(input);
    ASSERT_FALSE(r.ok()) << "accepted \"" << input << "\"";
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << input;
    EXPECT_THAT(r.status().message(), HasSubstr(message)) << input;
  }
}

TEST(PodCidrTest, RefusesOverlongLists) {
  std::string list = "10.0.0.0/24";
  for (int i = 1; i < 9; ++i) list += ",10.0." + std::to_string(i) + ".0/24";
  auto r = ParsePodCidrs(list);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("more than 8 CIDRs"));
}

TEST(PodCidrTest, HostileBytesAreEscapedInTheMessage) {
  auto r = ParsePodCidrs("10.0.0.0\n/24");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("\\x0a"));
  EXPECT_EQ(r.status().message().find('\n'), std::string::npos);
}

TEST(PodCidrTest, DefaultRoutesFollowTheFamilies) {
  EXPECT_THAT(DefaultRoutesFor(*ParsePodCidrs("10.0.0.0/24")), ElementsAre("0.0.0.0/0"));
  EXPECT_THAT(DefaultRoutesFor(*ParsePodCidrs("fd00::/64")), ElementsAre("::/0"));
  // IPv4 first whatever the order of the ranges, once per family.
  EXPECT_THAT(DefaultRoutesFor(*ParsePodCidrs("fd00::/64,10.0.0.0/24,10.1.0.0/24")),
              ElementsAre("0.0.0.0/0", "::/0"));
}

}  // namespace
}  // namespace berth::cni
