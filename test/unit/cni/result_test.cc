#include "pkg/cni/result.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace berth::cni {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(ParseCniResultTest, Version031WithIpVersionField) {
  auto r = ParseCniResult(R"({
    "cniVersion": "0.3.1",
    "interfaces": [{"name": "cni0", "mac": "aa:bb:cc:dd:ee:ff"},
                   {"name": "eth0", "mac": "11:22:33:44:55:66", "sandbox": "/run/netns/x"}],
    "ips": [{"version": "4", "interface": 1, "address": "10.1.0.5/16", "gateway": "10.1.0.1"}],
    "routes": [{"dst": "0.0.0.0/0"}],
    "dns": {"nameservers": ["10.1.0.10"]}
  })");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->cni_version, "0.3.1");
  ASSERT_EQ(r->interfaces.size(), 2u);
  EXPECT_EQ(r->interfaces[1].sandbox, "/run/netns/x");
  ASSERT_EQ(r->ips.size(), 1u);
  EXPECT_EQ(r->ips[0].family, 4);
  EXPECT_EQ(r->ips[0].address, "10.1.0.5");
  EXPECT_EQ(r->ips[0].prefix_length, 16);
  EXPECT_EQ(r->ips[0].gateway, "10.1.0.1");
  EXPECT_EQ(r->ips[0].interface, 1);
  ASSERT_EQ(r->routes.size(), 1u);
  EXPECT_EQ(r->routes[0].dst, "0.0.0.0/0");
  EXPECT_THAT(r->dns_nameservers, ElementsAre("10.1.0.10"));
  EXPECT_THAT(PodIps(*r), ElementsAre("10.1.0.5"));
}

TEST(ParseCniResultTest, Version040DualStack) {
  auto r = ParseCniResult(R"({
    "cniVersion": "0.4.0",
    "interfaces": [{"name": "eth0", "sandbox": "/run/netns/y"}],
    "ips": [{"version": "4", "interface": 0, "address": "10.2.0.7/24"},
            {"version": "6", "interface": 0, "address": "fd00:10:2::7/64", "gateway": "fd00:10:2::1"}],
    "routes": [{"dst": "::/0", "gw": "fd00:10:2::1"}]
  })");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->ips.size(), 2u);
  EXPECT_EQ(r->ips[1].family, 6);
  EXPECT_EQ(r->ips[1].address, "fd00:10:2::7");
  EXPECT_EQ(r->ips[1].prefix_length, 64);
  EXPECT_EQ(r->routes[0].gw, "fd00:10:2::1");
  EXPECT_THAT(PodIps(*r), ElementsAre("10.2.0.7", "fd00:10:2::7"));
}

TEST(ParseCniResultTest, Version100WithoutVersionFieldAndWithoutPrefix) {
  auto r = ParseCniResult(R"({
    "cniVersion": "1.0.0",
    "interfaces": [{"name": "br0"}, {"name": "eth0", "sandbox": "/run/netns/z"}],
    "ips": [{"interface": 1, "address": "192.168.5.9"},
            {"interface": 1, "address": "2001:db8::9"},
            {"interface": 0, "address": "192.168.5.1/24"}]
  })");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->ips[0].family, 4);
  EXPECT_EQ(r->ips[0].prefix_length, -1);
  EXPECT_EQ(r->ips[1].family, 6);
  EXPECT_EQ(r->ips[1].prefix_length, -1);
  // The bridge's own address is on a host interface: not a pod IP.
  EXPECT_THAT(PodIps(*r), ElementsAre("192.168.5.9", "2001:db8::9"));
}

TEST(ParseCniResultTest, VersionTakenFromConfigWhenMissing) {
  auto r = ParseCniResult(R"({"ips":[{"address":"10.0.0.1/8"}]})", "1.0.0");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->cni_version, "1.0.0");
  EXPECT_EQ(r->ips[0].interface, -1);
  EXPECT_THAT(PodIps(*r), ElementsAre("10.0.0.1"));
}

TEST(ParseCniResultTest, RejectsMalformedResults) {
  EXPECT_THAT(ParseCniResult("nope").status().message(), HasSubstr("not a JSON object"));
  EXPECT_THAT(
      ParseCniResult(R"({"cniVersion":"0.2.0","ip4":{"ip":"10.0.0.2/24"}})").status().message(),
      HasSubstr("unsupported result cniVersion"));
  EXPECT_THAT(ParseCniResult(R"({"cniVersion":"1.0.0","ips":[{"address":"10.0.0.300/24"}]})")
                  .status()
                  .message(),
              HasSubstr("invalid IP address \"10.0.0.300/24\""));
  EXPECT_THAT(ParseCniResult(R"({"cniVersion":"1.0.0","ips":[{"address":"10.0.0.3/33"}]})")
                  .status()
                  .message(),
              HasSubstr("prefix length out of range"));
  EXPECT_THAT(
      ParseCniResult(R"({"cniVersion":"1.0.0","ips":[{"address":"10.0.0.3/24","interface":2}]})")
          .status()
          .message(),
      HasSubstr("names interface 2 which does not exist"));
  EXPECT_THAT(
      ParseCniResult(R"({"cniVersion":"0.4.0","ips":[{"version":"6","address":"10.0.0.3/24"}]})")
          .status()
          .message(),
      HasSubstr("says version 6"));
  EXPECT_FALSE(ParseCniResult(R"({"cniVersion":"1.0.0","ips":{}})").ok());
  EXPECT_FALSE(ParseCniResult(R"({"cniVersion":"1.0.0","routes":[{"dst":"x"}]})").ok());
}

TEST(ParsePluginErrorTest, ReadsCodeMsgDetails) {
  auto e = ParsePluginError(R"({"cniVersion":"1.0.0","code":7,"msg":"bad","details":"why"})");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->code, 7);
  EXPECT_EQ(e->msg, "bad");
  EXPECT_EQ(e->details, "why");
  EXPECT_FALSE(ParsePluginError("panic: oops").has_value());
  EXPECT_FALSE(ParsePluginError(R"({"msg":"no code"})").has_value());
}

}  // namespace
}  // namespace berth::cni
