// metrics.address: off by default, host:port when set, and a bad value is an
// error naming the key (at start and at SIGHUP, which both go through Parse).
#include <gtest/gtest.h>

#include "pkg/config/config.h"

namespace berth::config {
namespace {

TEST(MetricsAddressTest, OffByDefault) {
  Result<Config> c = Parse("");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->metrics.address, "");
}

TEST(MetricsAddressTest, AcceptsHostPortForms) {
  for (const char* address : {"127.0.0.1:9090", "0.0.0.0:0", "localhost:65535", "[::1]:9090"}) {
    Result<Config> c = Parse(std::string("metrics: {address: \"") + address + "\"}");
    ASSERT_TRUE(c.ok()) << address << ": " << c.status().ToString();
    EXPECT_EQ(c->metrics.address, address);
  }
}

TEST(MetricsAddressTest, RejectsBadAddressesNamingTheKey) {
  for (const char* address :
       {"9090", ":9090", "127.0.0.1:", "127.0.0.1:http", "127.0.0.1:65536", "127.0.0.1:123456",
        "::1:9090", "[::1:9090", "host name:9090", "[]:9090"}) {
    Result<Config> c = Parse(std::string("metrics: {address: \"") + address + "\"}");
    ASSERT_FALSE(c.ok()) << address;
    EXPECT_EQ(c.status().code(), Code::kInvalidArgument) << address;
    EXPECT_NE(c.status().message().find("\"metrics.address\""), std::string::npos)
        << c.status().message();
    EXPECT_NE(c.status().message().find(address), std::string::npos) << c.status().message();
  }
}

TEST(MetricsAddressTest, UnknownKeyUnderMetricsIsAnError) {
  Result<Config> c = Parse("metrics: {adress: 127.0.0.1:9090}");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("adress"), std::string::npos) << c.status().message();
}

TEST(MetricsAddressTest, ShownInEffectiveConfig) {
  Result<Config> c = Parse("metrics: {address: 127.0.0.1:9090}");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_NE(ToYaml(*c).find("address: 127.0.0.1:9090"), std::string::npos) << ToYaml(*c);
}

}  // namespace
}  // namespace berth::config
